# Standard errors, predictive sd and quantiles, and the interior start against the CLI
# (`gmoe fit --se`, `gmoe predict --columns ... --se`), to the last bit.

se_data <- function() {
  d <- gmoe_simulate(softmax_truth(), 400, seed = 21)
  path <- tempfile(fileext = ".csv")
  write_data(d, path)
  list(d = d, path = path)
}

test_that("gmoe_fit(se = ) gives the covariance of gmoe fit --se", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  s <- se_data()
  cases <- list(
    list(r = list(se = "observed"), c = c("--se", "observed")),
    list(r = list(se = "sandwich"), c = c("--se", "sandwich")),
    list(r = list(se = "bootstrap", bootstrap = 12),
         c = c("--se", "bootstrap", "--bootstrap", 12)),
    list(r = list(se = "observed", gate = "gaussian"),
         c = c("--se", "observed", "--gate", "gaussian")),
    list(r = list(se = "observed", gate = "temperature", tau = 0.5, fix_tau = TRUE),
         c = c("--se", "observed", "--gate", "temperature", "--tau", "0.5", "--fix-tau")))
  for (cs in cases) {
    fit <- do.call(gmoe_fit, c(list(y ~ x1, s$d, k = 2, starts = 3, seed = 8, threads = 1),
                               cs$r))
    fj <- tempfile(fileext = ".json")
    run_cli("fit", "-k", 2, "--starts", 3, "--seed", 8, "--threads", 1, cs$c, "-o", fj, s$path)
    ref <- gmoe_read(fj)
    info <- paste(cs$c, collapse = " ")
    expect_identical(fit$fit$loglik, ref$fit$loglik, info = info)
    expect_identical(fit$se$method, cs$r$se, info = info)
    expect_identical(ref$fit$se_method, cs$r$se, info = info)
    expect_identical(fit$se$names, ref$se$names, info = info)
    expect_identical(fit$se$estimate, ref$se$estimate, info = info)
    expect_identical(fit$se$cov, ref$se$cov, info = info)
    v <- vcov(fit)
    expect_identical(unname(v), ref$se$cov, info = info)
    expect_true(all(grepl("x1", rownames(v)[grepl("[[]", rownames(v))])), info = info)
    ci <- confint(fit)
    se <- sqrt(diag(v))
    expect_equal(unname(ci[, 1]), fit$se$estimate - qnorm(0.975) * unname(se), tolerance = 1e-15)
    expect_identical(colnames(ci), c("2.5 %", "97.5 %"))
    expect_identical(dim(confint(fit, "b_1", level = 0.9)), c(1L, 2L))
    tab <- summary(fit)$se$table
    expect_identical(unname(tab[, "Std. Error"]), unname(se))
    expect_output(print(summary(fit)), "Standard errors")
  }
})

test_that("no standard errors: the library's reason, and errors from vcov and confint", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  s <- se_data()
  fit <- gmoe_fit(y ~ x1, s$d, k = 2, gate = "temperature", starts = 2, seed = 3,
                  se = "observed")
  fj <- tempfile(fileext = ".json")
  run_cli("fit", "-k", 2, "--gate", "temperature", "--starts", 2, "--seed", 3, "--se",
          "-o", fj, s$path)
  ref <- gmoe_read(fj)
  expect_null(fit$se$cov)
  expect_identical(fit$se$reason, ref$fit$se_reason)
  expect_error(vcov(fit), fit$se$reason, fixed = TRUE)
  expect_error(confint(fit), "no standard errors")
  expect_output(print(summary(fit)), "none:")
  plain <- gmoe_fit(y ~ x1, s$d, k = 2, starts = 1)
  expect_error(vcov(plain), "has no standard errors")
  expect_error(predict(plain, se.fit = TRUE), "needs standard errors")
  expect_error(gmoe_fit(y ~ x1, s$d, k = 2, se = "hessian"), "se must be one of")
  expect_error(gmoe_fit(y ~ x1, s$d, k = 2, se = "observed", bootstrap = 5),
               "bootstrap only goes with")
  expect_error(gmoe_fit(y ~ x1, s$d, k = 2, prefer = "worst"), "prefer must be one of")
})

test_that("predict's sd, quantiles and se.fit are gmoe predict's columns", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  s <- se_data()
  fit <- gmoe_fit(y ~ x1, s$d, k = 2, starts = 3, seed = 8, se = "sandwich")
  fj <- tempfile(fileext = ".json")
  run_cli("fit", "-k", 2, "--starts", 3, "--seed", 8, "--se", "sandwich", "-o", fj, s$path)
  pred <- tempfile(fileext = ".csv")
  run_cli("predict", "--columns", "mean,sd,quantiles,se_mean", "--quantiles", "0.05,0.5,0.95",
          "--se", "-o", pred, fj, s$path)
  ref <- read.csv(pred, colClasses = "numeric")
  p <- predict(fit, s$d, sd = TRUE, quantiles = c(0.05, 0.5, 0.95), se.fit = TRUE)
  expect_identical(names(p), c("fit", "sd", "quantiles", "se.fit"))
  # Equal to the last bit or so, not identical: the command line writes the shortest decimal
  # that reads back to its double, and R's own number parser (read.csv, as.numeric) is not
  # correctly rounded: it reads "0.3224740947387362" one unit in the last place high.
  expect_equal(p$fit, ref$mean, tolerance = 1e-15)
  expect_equal(p$sd, ref$sd, tolerance = 1e-15)
  expect_equal(p$se.fit, ref$se_mean, tolerance = 1e-15)
  expect_equal(unname(p$quantiles), unname(as.matrix(ref[, grep("^q", names(ref))])),
               tolerance = 1e-15)
  expect_identical(colnames(p$quantiles), c("q0.05", "q0.5", "q0.95"))
  # the model read from the CLI's file carries the same standard errors
  m <- gmoe_read(fj)
  expect_identical(m$se$cov, fit$se$cov)
  expect_error(predict(fit, s$d, quantiles = c(0.5, 1)), "between 0 and 1|quantile")
  a <- predict(fit, type = "all", sd = TRUE)
  expect_true(all(a$sd > 0) && is.list(a$fit) && !is.null(a$fit$gate))
})

test_that("prefer = \"interior\" and loglik_interior are those of gmoe fit --prefer", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  s <- se_data()
  for (prefer in c("best", "interior")) {
    fit <- gmoe_fit(y ~ x1, s$d[1:150, ], k = 3, starts = 6, seed = 4, prefer = prefer)
    path <- tempfile(fileext = ".csv")
    write_data(s$d[1:150, ], path)
    fj <- tempfile(fileext = ".json")
    run_cli("fit", "-k", 3, "--starts", 6, "--seed", 4, "--prefer", prefer, "-o", fj, path)
    ref <- gmoe_read(fj)
    for (key in c("loglik", "loglik_interior", "prefer", "loglik_best"))
      expect_identical(fit$fit[[key]], ref$fit[[key]], info = paste(prefer, key))
  }
  # four experts for two: every start ends degenerate, and the summary says so
  over <- gmoe_fit(y ~ x1, gmoe_simulate(softmax_truth(), 150, seed = 5), k = 4, starts = 6,
                   seed = 4)
  expect_true(is.nan(over$fit$loglik_interior))
  expect_output(print(summary(over)), "interior best    none: no start converged")
})

test_that("gmoe_write keeps the standard errors: gmoe predict --se reads them", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  s <- se_data()
  fit <- gmoe_fit(y ~ x1, s$d, k = 2, starts = 3, seed = 8, se = "bootstrap", bootstrap = 10)
  expect_identical(fit$fit$se_method, "bootstrap")
  expect_identical(fit$fit$bootstrap_b, 10)
  fj <- tempfile(fileext = ".json")
  gmoe_write(fit, fj)
  back <- gmoe_read(fj)
  expect_identical(back$se$cov, fit$se$cov)
  expect_identical(back$fit$bootstrap_failed, fit$fit$bootstrap_failed)
  expect_identical(gmoe_write(back), gmoe_write(fit))  # a round trip is exact
  pred <- tempfile(fileext = ".csv")
  run_cli("predict", "--columns", "se_mean", "--se", "-o", pred, fj, s$path)
  ref <- read.csv(pred, colClasses = "numeric")
  # Equal, not identical: in R's process libgmoe's BLAS products (D' V D) may round the last
  # bit differently from the command line's for a bootstrap covariance (1 observation of
  # 400 here; the delta method's inputs above are identical).
  expect_equal(predict(fit, s$d, se.fit = TRUE)$se.fit, ref$se_mean, tolerance = 1e-14)
})
