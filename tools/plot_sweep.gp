# Plots a `moesim sweep` CSV: one line per value of a grouping column. Needs Debian's gnuplot (gnuplot-nox).
#
#   gnuplot -e "file='sweep.csv'; x='vary.batch_per_gpu'; y='per_user_tokens_per_second'; by='fabric'; \
#               out='tps.svg'" tools/plot_sweep.gp
#
# Variables: file (required), x and y (required: column names from the CSV header), by (optional: one line per
# distinct value of this column; by2: a second grouping column), out (default: file with .svg; a .png name gives a PNG), title, xlabel, ylabel,
# logx / logy (set to 1 for a log axis). Rows with an empty y (points that could not be evaluated) are skipped.
if (!exists("file") || !exists("x") || !exists("y")) {
  print "usage: gnuplot -e \"file='sweep.csv'; x='COLUMN'; y='COLUMN'; [by='COLUMN'; out='plot.svg']\" tools/plot_sweep.gp"
  exit status 1
}
if (!exists("out")) out = file . ".svg"
if (!exists("title")) title = y . " vs " . x
if (!exists("xlabel")) xlabel = x
if (!exists("ylabel")) ylabel = y

# Column numbers from the header line (1-based; 0 = no such column).
column_of(name) = int(system(sprintf("head -1 '%s' | tr ',' '\\n' | grep -nxF '%s' | cut -d: -f1 | head -1", file, name)) + 0)
xc = column_of(x)
yc = column_of(y)
if (xc == 0 || yc == 0) {
  print sprintf("plot_sweep.gp: no column '%s' or '%s' in %s", x, y, file)
  exit status 1
}

if (strlen(out) > 4 && out[strlen(out)-3:] eq "png") {
  set terminal pngcairo size 960,600 font "sans,11"
} else {
  set terminal svg size 960,600 dynamic font "sans,11" background rgb "white"
}
set output out
set datafile separator ","
set datafile missing ""
set title title noenhanced
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
set key top left noenhanced
set grid
if (exists("logx") && logx) set logscale x 2
if (exists("logy") && logy) set logscale y

if (exists("by")) {
  bc = column_of(by)
  bc2 = exists("by2") ? column_of(by2) : 0
  if (bc == 0 || (exists("by2") && bc2 == 0)) {
    print sprintf("plot_sweep.gp: no grouping column '%s' in %s", by, file)
    exit status 1
  }
  # Distinct groups in order of appearance (names may contain spaces, so they are kept in an array).
  listing = sprintf("tail -n +2 '%s' | awk -F, '{k = %d ? $%d \", \" $%d : $%d; if (!seen[k]++) print k}'", \
                    file, bc2, bc, (bc2 ? bc2 : bc), bc)
  ngroups = int(system(listing . " | wc -l"))
  array groups[ngroups]
  do for [i = 1:ngroups] { groups[i] = system(sprintf("%s | sed -n '%dp'", listing, i)) }
  # Each group's rows through a shell filter, so that its points join into one line.
  rows_of(g) = sprintf("< awk -F, 'NR > 1 { k = %d ? $%d \", \" $%d : $%d; if (k == \"%s\") print }' '%s'", \
                       bc2, bc, (bc2 ? bc2 : bc), bc, g, file)
  plot for [i = 1:ngroups] rows_of(groups[i]) using xc:yc with linespoints lw 2 pt 7 title groups[i]
} else {
  plot file using xc:yc skip 1 with linespoints lw 2 pt 7 notitle
}
