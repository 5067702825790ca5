// What `moesim search` and `moesim compare --at-best` print, and the plot of the front.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>

#include "cli/cli.h"
#include "cli/search.h"
#include "cli/text.h"

namespace moesim::cli {

namespace fs = std::filesystem;

namespace {

using Status = SearchPoint::Status;

std::string ms(double us) {
  return fmt::format("{:.1f}", us / 1000);
}
std::string one(double value) {
  return fmt::format("{:.1f}", value);
}
std::string whole(double value) {
  return with_commas(value, 0);
}
std::string gigabytes(double bytes) {
  return fmt::format("{:.1f}", bytes / 1e9);
}
std::string dollars(const std::optional<double>& value) {
  return value ? fmt::format("{:.3f}", *value) : "-";
}
std::string kilowatts(const SearchPoint& point) {
  return point.gpu_power_watts > 0
             ? fmt::format("{:.1f}", point.gpu_power_watts * point.ep_size / 1e3)
             : "-";
}

std::string joined(const std::vector<std::string>& values) {
  std::string text;
  for (const std::string& value : values) text += (text.empty() ? "" : ", ") + value;
  return text;
}

// "1, 2, 4, ..., 256, 363" for long lists.
std::string abbreviated(const std::vector<std::string>& values) {
  if (values.size() <= 12) return joined(values);
  std::vector<std::string> shown(values.begin(), values.begin() + 8);
  shown.push_back("...");
  shown.insert(shown.end(), values.end() - 3, values.end());
  return joined(shown);
}

// How the figures a table shows were obtained.
std::string network_note(const SearchGroup& group) {
  if (group.resimulated)
    return fmt::format("search network {}; the front re-simulated with {}", group.search_network,
                       group.exact_network);
  return fmt::format("network {}", group.search_network);
}

void render_counts(std::ostream& out, const SearchResult& result) {
  std::size_t counts[4] = {};
  std::map<std::string, std::size_t> invalid, failed;
  for (const SearchPoint& point : result.points) {
    ++counts[static_cast<int>(point.status)];
    if (point.status == Status::Invalid) ++invalid[point.reason];
    if (point.status == Status::Error) ++failed[point.reason];
  }
  out << fmt::format("configurations: {} — {} simulated, {} do not fit in memory, {} invalid{}\n",
                     result.points.size(), counts[static_cast<int>(Status::Simulated)],
                     counts[static_cast<int>(Status::DoesNotFit)],
                     counts[static_cast<int>(Status::Invalid)],
                     counts[static_cast<int>(Status::Error)]
                         ? fmt::format(", {} failed", counts[static_cast<int>(Status::Error)])
                         : "");

  // The memory rule's verdict: the largest batch per GPU that fits, per EP size and MTP setting.
  if (counts[static_cast<int>(Status::DoesNotFit)] > 0) {
    std::vector<std::uint32_t> eps;
    std::map<std::tuple<std::size_t, std::uint32_t, std::uint32_t>, std::string> largest;
    std::set<std::pair<std::size_t, std::uint32_t>> rows;
    for (const SearchPoint& point : result.points) {
      if (point.status == Status::Error) continue;
      if (std::find(eps.begin(), eps.end(), point.ep_size) == eps.end())
        eps.push_back(point.ep_size);
      rows.insert({point.group, point.mtp_draft_tokens});
      auto& cell = largest[{point.group, point.ep_size, point.mtp_draft_tokens}];
      if (point.status != Status::Invalid) cell = std::to_string(point.largest_batch_per_gpu);
    }
    std::sort(eps.begin(), eps.end());
    std::vector<std::string> header{"largest batch per GPU that fits"};
    for (const std::uint32_t ep : eps) header.push_back(fmt::format("EP{}", ep));
    Table table(header);
    for (const auto& [group, mtp] : rows) {
      std::vector<std::string> cells{
          fmt::format("{}{}", result.groups.size() > 1 ? result.groups[group].label + ", " : "",
                      mtp ? fmt::format("MTP {}", mtp) : "no MTP")};
      for (const std::uint32_t ep : eps) {
        const auto found = largest.find({group, ep, mtp});
        cells.push_back(found == largest.end() || found->second.empty() ? "-" : found->second);
      }
      table.add_row(cells);
    }
    out << "  do not fit: batches above the largest that fits, by the memory rule "
           "(workloads/memory.h: weights, KV cache, all-to-all buffers, reserve)\n";
    out << table.render("    ");
  }
  for (const auto& [reason, count] : invalid)
    out << fmt::format("  invalid: {} x {}\n", count, reason);
  for (const auto& [reason, count] : failed)
    out << fmt::format("  failed: {} x {}\n", count, reason);
}

void render_front(std::ostream& out, const SearchResult& result, const SearchGroup& group) {
  const bool exact = group.resimulated && result.exact;
  std::vector<std::string> header{"configuration", "TPOT ms", "tok/s per user", "tok/s per GPU"};
  if (exact) {
    header.push_back("exact: TPOT ms");
    header.push_back("tok/s per user");
    header.push_back("tok/s per GPU");
  }
  Table table(header);
  for (const std::size_t index : group.front) {
    const SearchPoint& point = result.points[index];
    std::vector<std::string> row{point.describe(), ms(point.search.tpot_us),
                                 one(point.search.per_user_tokens_per_second),
                                 whole(point.search.tokens_per_second_per_gpu)};
    if (exact) {
      row.push_back(point.exact ? ms(point.exact->tpot_us) : "-");
      row.push_back(point.exact ? one(point.exact->per_user_tokens_per_second) : "-");
      row.push_back(point.exact ? whole(point.exact->tokens_per_second_per_gpu) : "-");
    }
    table.add_row(row);
  }
  out << fmt::format(
      "\nPareto front{}: output tokens/s per GPU against tokens/s per user, {} configurations "
      "({})\n",
      result.groups.size() > 1 ? fmt::format(", {}", group.label) : "", group.front.size(),
      network_note(group));
  out << table.render("  ");
}

void render_best(std::ostream& out, const SearchResult& result) {
  if (result.best.empty()) return;
  const bool groups = result.groups.size() > 1;
  std::vector<std::string> header{"target"};
  if (groups) header.push_back("group");
  for (const char* column : {"configuration", "TPOT ms", "tok/s per user", "tok/s per GPU",
                             "tok/s per node", "headroom/GPU GB", "$/M tokens", "power kW"})
    header.push_back(column);
  Table table(header);
  for (const SearchResult::Best& best : result.best) {
    std::vector<std::string> row{best.target.label()};
    if (groups) row.push_back(result.groups[best.group].label);
    if (!best.point) {
      row.push_back("none meets it");
      table.add_row(row);
      continue;
    }
    const SearchPoint& point = result.points[*best.point];
    const SearchFigures& f = point.figures();
    for (std::string cell :
         {point.describe(), ms(f.tpot_us), one(f.per_user_tokens_per_second),
          whole(f.tokens_per_second_per_gpu), whole(f.tokens_per_second_per_node),
          gigabytes(point.headroom_bytes_per_gpu), dollars(point.usd_per_million_tokens()),
          kilowatts(point)})
      row.push_back(std::move(cell));
    table.add_row(row);
  }
  const bool exact = std::any_of(result.groups.begin(), result.groups.end(),
                                 [](const SearchGroup& g) { return g.resimulated; }) &&
                     result.exact;
  out << fmt::format("\nBest under each target: the most output tokens/s per GPU that meets it{}\n",
                     exact ? " (chosen on the front's exact figures)" : "");
  out << table.render("  ");
  out << "  $/M tokens = $ per GPU-hour (the scenario's cost: section, an assumption) / (tokens/s "
         "per GPU x 3600) x 1e6;\n  power = the GPUs' rated board power x EP size (no CPUs, NICs, "
         "switches or cooling).\n";
}

}  // namespace

void render_search(std::ostream& out, const SearchResult& result) {
  std::vector<std::string> scenarios, search, exact;
  auto add = [](std::vector<std::string>& list, const std::string& value) {
    if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
      list.push_back(value);
  };
  for (const SearchGroup& group : result.groups) {
    add(scenarios, group.scenario_name);
    add(search, group.search_network);
    add(exact, group.exact_network);
  }
  out << fmt::format("search: {}\n", joined(scenarios));
  out << fmt::format(
      "  search network: {}{}\n", joined(search),
      exact.empty() ? "" : fmt::format("; the front is re-simulated with {}", joined(exact)));
  std::size_t total = 1;
  std::string product;
  std::size_t width = 0;
  for (const SweepAxis& axis : result.axes) {
    total *= axis.values.size();
    product += fmt::format("{}{} {}", product.empty() ? "" : " x ", axis.values.size(), axis.key);
    width = std::max(width, axis.key.size());
  }
  out << fmt::format("space: {} configurations ({})\n", total, product);
  for (std::size_t a = 0; a < result.axes.size(); ++a) {
    std::vector<std::string> values;
    for (const std::string& value : result.axes[a].values)
      values.push_back(value.ends_with(".yaml") ? fs::path(value).stem().string() : value);
    out << fmt::format("  {:<{}}  {}\n  {:<{}}    ({})\n", result.axes[a].key, width,
                       abbreviated(values), "", width, result.notes[a]);
  }
  for (const std::string& note : result.left_out) out << fmt::format("  left out: {}\n", note);
  if (!result.complete) {
    out << fmt::format("shard {}/{}: {} configurations of {}: {} evaluated, {} resumed{}\n",
                       result.shard.index, result.shard.count, result.pass.shard_points,
                       result.pass.points, result.pass.evaluated, result.pass.resumed,
                       result.output.empty() ? "" : fmt::format(" -> {}", result.output));
    return;
  }
  if (result.dry_run) {
    render_counts(out, result);
    out << "(--dry-run: nothing simulated)\n";
    return;
  }
  render_counts(out, result);
  for (const SearchGroup& group : result.groups) render_front(out, result, group);
  render_best(out, result);
  if (!result.output.empty())
    out << fmt::format("\nevery configuration: {} (column `pareto` marks the front{})\n",
                       result.output,
                       result.exact_output.empty()
                           ? ""
                           : fmt::format("; its exact re-simulation: {}", result.exact_output));
}

namespace {

// Why a side stops at its best batch: the target, or the memory rule.
std::string why(const SearchResult& result, const SearchPoint& best, const SearchTarget& target) {
  if (best.batch_per_gpu == best.largest_batch_per_gpu)
    return fmt::format(
        "batch {} is the largest that fits in memory at EP{}{} and still meets the target: "
        "memory binds",
        best.batch_per_gpu, best.ep_size,
        best.mtp_draft_tokens ? fmt::format(" with MTP {}", best.mtp_draft_tokens) : "");
  const auto next = result.next_batch(best.index);
  if (!next)
    return fmt::format("batch {} is the largest the search tried (the largest that fits: {})",
                       best.batch_per_gpu, best.largest_batch_per_gpu);
  const SearchPoint& after = result.points[*next];
  if (after.status == Status::DoesNotFit)
    return fmt::format(
        "batch {} meets the target; the next batch searched, {}, does not fit (the largest that "
        "fits is {}): memory binds",
        best.batch_per_gpu, after.batch_per_gpu, best.largest_batch_per_gpu);
  if (after.status != Status::Simulated)
    return fmt::format("batch {} meets the target", best.batch_per_gpu);
  const SearchFigures& f = after.figures();
  const bool meets = target.met_by(f.tpot_us, f.per_user_tokens_per_second);
  return fmt::format(
      "batch {} meets the target; batch {} {} ({:.1f} tokens/s per user, {} per GPU{}); up to "
      "{} fit in memory: {}",
      best.batch_per_gpu, after.batch_per_gpu,
      meets ? "also meets it but yields less" : "misses it", f.per_user_tokens_per_second,
      whole(f.tokens_per_second_per_gpu), after.exact ? "" : ", search network",
      best.largest_batch_per_gpu, meets ? "throughput per GPU binds" : "the target binds");
}

std::string ratio(double a, double b) {
  return a > 0 ? fmt::format("{:.2f}x", b / a) : "-";
}

}  // namespace

void render_at_best(std::ostream& out, const SearchResult& a, const SearchResult& b,
                    const std::string& file_a, const std::string& file_b) {
  const std::string& name_a = a.groups.front().scenario_name;
  const std::string& name_b = b.groups.front().scenario_name;
  out << fmt::format("compare --at-best: A = {}  vs  B = {}\n", file_a, file_b);
  out << fmt::format(
      "  each side searched over {} (network {}{}); {} and {} configurations simulated\n",
      [&] {
        std::vector<std::string> keys;
        for (const SweepAxis& axis : a.axes)
          keys.push_back(axis.values.size() > 1
                             ? fmt::format("{} ({})", axis.key, axis.values.size())
                             : fmt::format("{} = {}", axis.key, axis.values.front()));
        return joined(keys);
      }(),
      a.groups.front().search_network,
      a.groups.front().resimulated
          ? fmt::format("; each side's front re-simulated with {}", a.groups.front().exact_network)
          : "",
      std::count_if(a.points.begin(), a.points.end(),
                    [](const SearchPoint& p) { return p.status == Status::Simulated; }),
      std::count_if(b.points.begin(), b.points.end(),
                    [](const SearchPoint& p) { return p.status == Status::Simulated; }));
  for (std::size_t t = 0; t < a.best.size(); ++t) {
    const SearchTarget& target = a.best[t].target;
    out << fmt::format("\nat {}:\n", target.label());
    const SearchPoint* pa = a.best[t].point ? &a.points[*a.best[t].point] : nullptr;
    const SearchPoint* pb = b.best[t].point ? &b.points[*b.best[t].point] : nullptr;
    Table table({"", name_a, name_b, "B / A"});
    auto text = [&](std::string label, auto cell) {
      table.add_row({std::move(label), pa ? cell(*pa) : "none meets it",
                     pb ? cell(*pb) : "none meets it", ""});
    };
    auto number = [&](std::string label, auto value, auto format) {
      table.add_row({std::move(label), pa ? format(value(*pa)) : "-", pb ? format(value(*pb)) : "-",
                     pa && pb ? ratio(value(*pa), value(*pb)) : "-"});
    };
    text("best configuration", [](const SearchPoint& p) { return p.describe(); });
    number(
        "GPUs (EP size)", [](const SearchPoint& p) { return double(p.ep_size); }, whole);
    number(
        "nodes (scale-up domains)", [](const SearchPoint& p) { return double(p.nodes); }, whole);
    number(
        "batch per GPU", [](const SearchPoint& p) { return double(p.batch_per_gpu); }, whole);
    number(
        "largest batch that fits",
        [](const SearchPoint& p) { return double(p.largest_batch_per_gpu); }, whole);
    table.add_rule();
    number(
        "TPOT (ms)", [](const SearchPoint& p) { return p.figures().tpot_us / 1000; },
        [](double v) { return fmt::format("{:.1f}", v); });
    number(
        "per-user tokens/s",
        [](const SearchPoint& p) { return p.figures().per_user_tokens_per_second; }, one);
    number(
        "output tokens/s per GPU",
        [](const SearchPoint& p) { return p.figures().tokens_per_second_per_gpu; }, whole);
    number(
        "output tokens/s per node",
        [](const SearchPoint& p) { return p.figures().tokens_per_second_per_node; }, whole);
    number(
        "output tokens/s, whole EP group",
        [](const SearchPoint& p) { return p.figures().tokens_per_second_per_gpu * p.ep_size; },
        whole);
    number(
        "memory headroom per GPU (GB)",
        [](const SearchPoint& p) { return p.headroom_bytes_per_gpu / 1e9; },
        [](double v) { return fmt::format("{:.1f}", v); });
    table.add_rule();
    number(
        "$ per GPU-hour (assumption)",
        [](const SearchPoint& p) { return p.usd_per_gpu_hour.value_or(0); },
        [](double v) { return v > 0 ? fmt::format("{:.2f}", v) : std::string("-"); });
    number(
        "$ per million output tokens",
        [](const SearchPoint& p) { return p.usd_per_million_tokens().value_or(0); },
        [](double v) { return v > 0 ? fmt::format("{:.3f}", v) : std::string("-"); });
    number(
        "GPU power, EP group (kW)",
        [](const SearchPoint& p) { return p.gpu_power_watts * p.ep_size / 1e3; },
        [](double v) { return v > 0 ? fmt::format("{:.1f}", v) : std::string("-"); });
    out << table.render("  ");
    out << "  why:\n";
    for (const auto& [side, result, point] :
         {std::tuple{name_a, &a, pa}, std::tuple{name_b, &b, pb}}) {
      if (point) {
        out << fmt::format("  - {}: {}\n", side, why(*result, *point, target));
        continue;
      }
      double fastest = 0;
      for (const SearchPoint& p : result->points)
        if (p.status == Status::Simulated)
          fastest = std::max(fastest, p.figures().per_user_tokens_per_second);
      out << fmt::format(
          "  - {}: no configuration meets it (the fastest gives {:.1f} tokens/s "
          "per user)\n",
          side, fastest);
    }
  }
  out << "\n  $/M tokens = $ per GPU-hour (each scenario's cost: section, an assumption) / "
         "(tokens/s per GPU x 3600) x 1e6;\n  power = rated GPU board power x EP size.\n";
}

namespace {

std::string gnuplot_string(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string short_label(const SearchPoint& point) {
  return fmt::format("EP{} b{}{}{}{}", point.ep_size, point.batch_per_gpu,
                     point.dispatch_mode == "node-dedup" ? " dedup" : "",
                     point.two_micro_batch_overlap ? " TBO" : "",
                     point.mtp_draft_tokens ? fmt::format(" MTP{}", point.mtp_draft_tokens) : "");
}

std::string datablock(const std::string& name, const std::vector<std::string>& lines) {
  std::string text = fmt::format("${} << EOD\n", name);
  for (const std::string& line : lines) text += line + "\n";
  return text + "EOD\n";
}

std::string xy(const SearchFigures& f) {
  return fmt::format("{},{}", f.per_user_tokens_per_second, f.tokens_per_second_per_gpu);
}

}  // namespace

void plot_search(const SearchResult& result, const std::string& svg_path) {
  const fs::path target(svg_path);
  const fs::path temporary =
      target.parent_path() / fmt::format(".{}.tmp.{}", target.filename().string(), ::getpid());
  std::string script =
      target.extension() == ".png"
          ? "set terminal pngcairo size 960,600 font 'sans,11'\n"
          : "set terminal svg size 960,600 dynamic font 'sans,11' background rgb 'white'\n";
  script += fmt::format("set output {}\n", gnuplot_string(temporary.string()));
  script += "set datafile separator ','\n";
  std::set<std::string> names;
  std::vector<std::string> scenarios;
  for (const SearchGroup& group : result.groups)
    if (names.insert(group.scenario_name).second) scenarios.push_back(group.scenario_name);
  script += fmt::format("set title {} noenhanced\n",
                        gnuplot_string(fmt::format("moesim search: {} ({})", joined(scenarios),
                                                   result.groups.front().search_network)));
  script += "set xlabel 'tokens/s per user' noenhanced\n";
  script += "set ylabel 'output tokens/s per GPU' noenhanced\n";
  script +=
      "set key top right noenhanced\nset grid\nset yrange [0:*]\nset xrange [0:*]\n"
      "set offsets 0, graph 0.05, graph 0.08, 0\n";

  std::vector<std::string> all;
  for (const SearchPoint& point : result.points)
    if (point.status == Status::Simulated) all.push_back(xy(point.search));
  script += datablock("all", all);
  std::string plot =
      "plot $all using 1:2 with points pt 7 ps 0.5 lc rgb '#c0c0c0' title "
      "'every configuration'";

  // The curves: each group's front, or (one group) each EP size's front and the overall front.
  std::vector<std::pair<std::string, std::vector<std::size_t>>> curves;
  if (result.groups.size() > 1) {
    for (const SearchGroup& group : result.groups) curves.push_back({group.label, group.front});
  } else {
    std::vector<std::uint32_t> eps;
    for (const SearchPoint& point : result.points)
      if (point.status == Status::Simulated &&
          std::find(eps.begin(), eps.end(), point.ep_size) == eps.end())
        eps.push_back(point.ep_size);
    std::sort(eps.begin(), eps.end());
    for (const std::uint32_t ep : eps) {
      std::vector<SearchFigures> figures;
      std::vector<std::size_t> members;
      for (const SearchPoint& point : result.points)
        if (point.status == Status::Simulated && point.ep_size == ep) {
          figures.push_back(point.search);
          members.push_back(point.index);
        }
      std::vector<std::size_t> front;
      for (const std::size_t i : pareto_front(figures)) front.push_back(members[i]);
      curves.push_back({fmt::format("EP{}", ep), front});
    }
  }
  for (std::size_t c = 0; c < curves.size(); ++c) {
    std::vector<std::string> lines;
    for (const std::size_t index : curves[c].second)
      lines.push_back(xy(result.points[index].search));
    script += datablock(fmt::format("curve{}", c), lines);
    // Distinguishable colours (Tableau's, without the red of the targets).
    static constexpr const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c",
                                               "#9467bd", "#8c564b", "#e377c2",
                                               "#17becf", "#bcbd22", "#7f7f7f"};
    plot +=
        fmt::format(", $curve{} using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '{}' title {}",
                    c, kColours[c % std::size(kColours)], gnuplot_string(curves[c].first));
  }
  if (result.groups.size() == 1) {
    std::vector<std::string> lines;
    for (const std::size_t index : result.groups.front().front)
      lines.push_back(xy(result.points[index].search));
    script += datablock("front", lines);
    plot += ", $front using 1:2 with lines lw 3 lc rgb 'black' title 'Pareto front'";
  }
  std::vector<std::string> exact;
  for (const SearchPoint& point : result.points)
    if (point.exact) exact.push_back(xy(*point.exact));
  if (!exact.empty()) {
    script += datablock("exact", exact);
    plot += fmt::format(", $exact using 1:2 with points pt 6 ps 1.3 lc rgb 'black' title {}",
                        gnuplot_string(fmt::format("front re-simulated ({})",
                                                   result.groups.front().exact_network)));
  }
  // The picks, labelled alternately above and below their point so that neighbours stay legible.
  std::vector<std::string> best[2];
  std::set<double> lines;
  std::set<std::size_t> picked;
  std::map<std::size_t, std::size_t> per_group;
  for (const SearchResult::Best& pick : result.best) {
    lines.insert(pick.target.min_user_tokens_per_second());
    if (!pick.point || !picked.insert(*pick.point).second) continue;
    const SearchPoint& point = result.points[*pick.point];
    best[per_group[point.group]++ % 2].push_back(
        fmt::format("{},{}", xy(point.figures()), short_label(point)));
  }
  for (const double x : lines)
    script += fmt::format(
        "set arrow from {0}, graph 0 to {0}, graph 1 nohead dt 2 lw 1.5 lc rgb '#cc0000'\n", x);
  for (int side = 0; side < 2; ++side) {
    if (best[side].empty()) continue;
    script += datablock(fmt::format("best{}", side), best[side]);
    plot += fmt::format(
        ", $best{} using 1:2:3 with labels point pt 4 ps 1.6 lc rgb '#cc0000' offset 1,{} left "
        "textcolor rgb '#cc0000' {}",
        side, side ? -1.2 : 1.0, side ? "notitle" : "title 'best under a target (red dashes)'");
  }
  script += plot + "\nunset output\n";

  std::FILE* gnuplot = ::popen("gnuplot", "w");
  if (!gnuplot)
    throw InputError("--plot: cannot run gnuplot (Debian: apt-get install gnuplot-nox)");
  const bool written = std::fwrite(script.data(), 1, script.size(), gnuplot) == script.size();
  const int status = ::pclose(gnuplot);
  std::error_code error;
  if (!written || status != 0 || !fs::exists(temporary, error)) {
    fs::remove(temporary, error);
    throw InputError(
        fmt::format("--plot: gnuplot failed (exit status {}) writing {}", status, svg_path));
  }
  fs::rename(temporary, target, error);
  if (error)
    throw InputError(fmt::format("{}: cannot rename into place: {}", svg_path, error.message()));
}

}  // namespace moesim::cli
