test_that("gmoe_dendrogram's DSC follows its definition and level k is the fit", {
  d <- gmoe_simulate(softmax_truth(), 1500, seed = 4)
  fit <- gmoe_fit(y ~ x1, d, k = 4, starts = 4, seed = 2)
  dg <- gmoe_dendrogram(fit)
  lv <- dg$levels
  expect_equal(lv$k, 4:1)
  expect_equal(dg$omega, log(1500), tolerance = 1e-15)
  for (key in c("beta0", "beta1", "a", "b", "var"))
    expect_equal(dg$models[[1]][[key]], fit$model[[key]], tolerance = 1e-12)
  for (r in seq_len(4))
    expect_equal(lv$loglik[r], gmoe_loglik(dg$models[[r]], d), tolerance = 1e-12)
  ok <- lv$k > 1
  expect_equal(lv$dsc[ok], -(lv$height[ok] + dg$omega * lv$loglik[ok] / 1500),
               tolerance = 1e-12)
  expect_true(all(is.na(lv[!ok, c("height", "dsc", "merged_i", "merged_j")])))
  expect_equal(dg$chosen, lv$k[ok][which.min(lv$dsc[ok])])
  expect_identical(gmoe_dendrogram(fit, d, y ~ x1)$levels, lv)
})

test_that("two copies of an expert merge at height 0 into the original", {
  p <- 0.3
  two <- gmoe_model(beta0 = log(c(p, 1 - p)), beta1 = c(4, 0), a = c(1, -1), b = c(0, 2),
                    var = c(0.5, 0.2))
  three <- gmoe_model(beta0 = log(c(p / 2, p / 2, 1 - p)), beta1 = c(4, 4, 0),
                      a = c(1, 1, -1), b = c(0, 0, 2), var = c(0.5, 0.5, 0.2))
  d <- gmoe_simulate(two, 500, seed = 3, lo = -1, hi = 1)
  dg <- gmoe_dendrogram(three, d, mass = "intercept")
  expect_equal(c(dg$levels$merged_i[1], dg$levels$merged_j[1]), c(1, 2))
  expect_equal(dg$levels$height[1], 0, tolerance = 1e-15)
  expect_equal(dg$levels$loglik[2], gmoe_loglik(two, d), tolerance = 1e-13)
  expect_error(gmoe_dendrogram(three), "data are needed")
  expect_error(gmoe_dendrogram(three, d, mass = "weight"), "mass must be one of")
})

test_that("gmoe_select gives gmoe select's numbers; each k's fit is gmoe_fit's", {
  d <- gmoe_simulate(softmax_truth(), 800, seed = 6)
  s <- gmoe_select(y ~ x1, d, k = 3, starts = 3, seed = 4, mass = "intercept")
  expect_equal(s$fits$k, 1:3)
  for (k in 1:3) {
    f <- gmoe_fit(y ~ x1, d, k = k, starts = 3, seed = 4, tol = 1e-6)  # select's default
    expect_equal(s$fits$loglik[k], f$fit$loglik, tolerance = 1e-13)  # recomputed at the fit
    expect_identical(s$models[[k]]$b, f$model$b)
    expect_equal(s$fits$aic[k], f$fit$aic, tolerance = 1e-14)
  }
  ok <- s$fits$status != "degenerate"
  expect_equal(unname(s$chosen["bic"]), s$fits$k[ok][which.min(s$fits$bic[ok])])
  dg <- gmoe_dendrogram(s$models[["3"]], d, mass = "intercept")
  expect_equal(s$dendrogram, dg$levels)
  expect_equal(unname(s$chosen["dsc"]), dg$chosen)
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  skip_if_not_installed("jsonlite")
  data <- tempfile(fileext = ".csv")
  write_data(d, data)
  ref <- jsonlite::fromJSON(paste(run_cli("select", "-k", 3, "--starts", 3, "--seed", 4,
                                          "--mass", "intercept", "--json", data),
                                  collapse = "\n"))
  expect_equal(as.list(s$chosen), ref$chosen)
  for (col in c("loglik", "aic", "bic", "icl", "entropy"))
    expect_equal(s$fits[[col]], ref$fits[[col]], tolerance = 1e-15, info = col)
  for (col in c("height", "dsc", "dsc_rescaled"))
    expect_equal(s$dendrogram[[col]], ref$dendrogram[[col]], tolerance = 1e-15, info = col)
})

test_that("a bounded fit is gmoe fit --gate-bound's, with its record", {
  d <- gmoe_simulate(softmax_truth(), 600, seed = 9)
  f <- gmoe_fit(y ~ x1, d, k = 3, starts = 3, seed = 2, gate_bound = 5)
  expect_equal(f$fit$gate_bound, 5)
  expect_true(all(abs(f$model$beta1) <= 5) && all(abs(f$model$beta0) <= 5))
  tf <- tempfile(fileext = ".json")
  gmoe_write(f, tf)
  r <- gmoe_read(tf)
  expect_identical(r$fit$bound_active, f$fit$bound_active)
  expect_error(gmoe_fit(y ~ x1, d, k = 2, gate = "gaussian", gate_bound = 5),
               "gate_bound does not apply")
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  data <- tempfile(fileext = ".csv")
  write_data(d, data)
  fj <- tempfile(fileext = ".json")
  run_cli("fit", "-k", 3, "--starts", 3, "--seed", 2, "--gate-bound", 5, "-o", fj, data)
  ref <- gmoe_read(fj)
  expect_identical(f$model$beta1, ref$beta1)
  expect_identical(f$fit$bound_active, ref$fit$bound_active)
})

test_that("accel = \"qn\" and gate_bound in gmoe_fit and gmoe_select are the CLI's", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  d <- gmoe_simulate(softmax_truth(), 600, seed = 9)
  data <- tempfile(fileext = ".csv")
  write_data(d, data)
  for (accel in c("qn", "none")) {
    f <- gmoe_fit(y ~ x1, d, k = 3, starts = 3, seed = 2, accel = accel)
    fj <- tempfile(fileext = ".json")
    run_cli("fit", "-k", 3, "--starts", 3, "--seed", 2, "--accel", accel, "-o", fj, data)
    ref <- gmoe_read(fj)
    expect_identical(f$model$b, ref$b, info = accel)
    expect_identical(f$fit$iterations, ref$fit$iterations, info = accel)
  }
  expect_output(print(summary(f)), "EM iterations")
  expect_error(gmoe_fit(y ~ x1, d, k = 2, accel = "fast"), "accel must be one of")
  s <- gmoe_select(y ~ x1, d, k = 3, starts = 3, seed = 4, accel = "qn", gate_bound = 5)
  skip_if_not_installed("jsonlite")
  ref <- jsonlite::fromJSON(paste(run_cli("select", "-k", 3, "--starts", 3, "--seed", 4,
                                          "--accel", "qn", "--gate-bound", 5, "--json", data),
                                  collapse = "\n"))
  expect_identical(s$accel, ref$accel)
  expect_identical(s$accel, "qn")
  expect_equal(s$gate_bound, ref$gate_bound)  # JSON reads 5 as an integer
  expect_equal(s$fits$bound_active, ref$fits$bound_active)
  expect_equal(s$fits$loglik, ref$fits$loglik, tolerance = 1e-15)
  s0 <- gmoe_select(y ~ x1, d, k = 2, starts = 2, seed = 4)
  expect_identical(s0$accel, "squarem")
  expect_true(is.na(s0$gate_bound))
})
