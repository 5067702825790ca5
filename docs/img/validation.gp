# Plot of `moesim validate --csv FILE` (docs/validation.md). Usage, from the repository root:
#   build/moesim validate --csv /tmp/validate.csv && gnuplot -e "data='/tmp/validate.csv'" docs/img/validation.gp
# Left: calibrated vs measured for every point, all-to-all and compute (diagonal = exact, band = +-15 %). Right:
# the GB200 NVL72 multi-node-NVLink all-to-all against tokens per GPU: measured, calibrated and the ideal fluid.
# CSV columns: 1 group, 4 kernel or operation, 9 tokens per GPU, 10 measured, 11 ideal, 12 calibrated, 14 excluded.
if (!exists("data")) data = '/tmp/validate.csv'
if (!exists("output")) output = 'docs/img/validation.png'
set terminal pngcairo size 1400,600 font ",11"
set output output
set datafile separator ","
set key top left box opaque
set multiplot layout 1,2

set title "Calibrated moesim vs published measurements"
set logscale xy
set xlabel "measured (us)"
set ylabel "moesim, calibrated (us)"
set xrange [5:5000]
set yrange [5:5000]
set grid
plot x with lines lc "black" title "exact", \
     1.15*x with lines dt 2 lc "gray" title "+-15 %", 0.85*x with lines dt 2 lc "gray" notitle, \
     data skip 1 using ($14==0 && strcol(4) eq "deepep-low-latency" ? $10 : 1/0):12 with points pt 7 lc "blue" title "DeepEP low-latency (H100, H200, B200, H800 + IB)", \
     data skip 1 using ($14==0 && strcol(4) eq "trtllm-mnnvl" ? $10 : 1/0):12 with points pt 5 lc "dark-green" title "TRT-LLM MNNVL, GB200 NVL72", \
     data skip 1 using ($14==0 && strcol(4) eq "nccl-alltoall" ? $10 : 1/0):12 with points pt 9 lc "orange" title "NCCL all-to-all", \
     data skip 1 using (strcol(1) eq "compute" ? $10 : 1/0):12 with points pt 1 ps 0.6 lc "purple" title "compute (attention, experts, GEMMs)", \
     data skip 1 using ($14==1 ? $10 : 1/0):12 with points pt 6 ps 1.2 lc "red" title "not counted (see validate)"

set title "GB200 NVL72 all-to-all (TensorRT-LLM MNNVL, EP8)"
set xlabel "tokens per GPU"
set ylabel "latency (us)"
set logscale xy
set xrange [0.8:1300]
set yrange [0.05:400]
set key top left
dispatch = sprintf("< grep ',trtllm-mnnvl,gb200-nvl72,gb200-nvl72,dispatch,8,' '%s'", data)
combine = sprintf("< grep ',trtllm-mnnvl,gb200-nvl72,gb200-nvl72,combine,8,' '%s'", data)
plot dispatch using 9:10 with points pt 7 lc "blue" title "dispatch measured", \
     dispatch using 9:12 with lines lc "blue" title "dispatch calibrated", \
     dispatch using 9:11 with lines dt 3 lc "blue" title "dispatch ideal fluid", \
     combine using 9:10 with points pt 5 lc "red" title "combine measured", \
     combine using 9:12 with lines lc "red" title "combine calibrated", \
     combine using 9:11 with lines dt 3 lc "red" title "combine ideal fluid"
unset multiplot
