small_config <- function(dir) {
  gmoe_write(softmax_truth(), file.path(dir, "truth.json"))
  writeLines(c("truth = truth.json", "design = grid 0 1", "k = 2", "gate = softmax",
               "n = 300, 600, 1200, 2400", "reps = 3", "starts = 1", "init = near-true",
               "stop = relative 1e-6", "metrics = loss hellinger tv params loglik",
               "seed = 5", "theory = loss=-0.5 hellinger=-0.5", "output = r.csv"),
             file.path(dir, "small.conf"))
  file.path(dir, "small.conf")
}

test_that("gmoe_sweep writes the rows of gmoe sweep; gmoe_rate gives gmoe rate's slopes", {
  dir <- tempfile()
  dir.create(dir)
  conf <- small_config(dir)
  res <- gmoe_sweep(conf, threads = 2)
  expect_equal(nrow(res), 12)
  expect_equal(res$n, sort(res$n))
  expect_true(all(res$status %in% c("converged", "max-iterations", "degenerate",
                                    "gate-divergent")))
  expect_equal(attr(res, "theory")[["loss"]], -0.5)
  expect_true("loss" %in% attr(res, "metrics"))
  rt <- gmoe_rate(res, bootstrap = 200, seed = 3)
  expect_true(all(c("loss", "hellinger", "tv") %in% rt$metric))
  expect_equal(rt$theory[rt$metric == "loss"], -0.5)
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  run_cli("sweep", "--quiet", "--threads", 1, "-o", file.path(dir, "cli.csv"), conf)
  cli <- gmoe_results(file.path(dir, "cli.csv"))
  for (col in setdiff(names(res), "seconds")) expect_identical(res[[col]], cli[[col]], info = col)
  out <- run_cli("rate", "--bootstrap", 200, "--seed", 3, "--metric", "loss,hellinger,tv",
                 file.path(dir, "cli.csv"))
  for (m in c("loss", "hellinger", "tv")) {
    line <- strsplit(trimws(grep(paste0("^", m, " "), out, value = TRUE)), " +")[[1]]
    expect_equal(rt$slope[rt$metric == m], as.numeric(line[2]), tolerance = 1e-4)
  }
})

test_that("rates of exact power laws are their exponents", {
  n <- rep(c(100, 400, 1600, 6400), each = 3)
  df <- data.frame(n = n, rep = rep(1:3, 4), loss = 3 * n^-0.5,
                   tv = rep(c(1, 2, 4), 4) * n^-0.25)
  rt <- gmoe_rate(df, bootstrap = 50)
  expect_equal(rt$slope, c(-0.5, -0.25), tolerance = 1e-12)
  expect_equal(rt$points, c(4, 4))
})
