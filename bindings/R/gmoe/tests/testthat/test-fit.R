test_that("gmoe_fit gives the same numbers as gmoe fit for the same seed and options", {
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  m <- gmoe_model(beta0 = c(1, 0), beta1 = matrix(c(3, 0, -2, 0), 2),
                  a = matrix(c(1, -1, 2, 0.5), 2), b = c(0, 2), var = c(0.3, 0.2))
  d <- gmoe_simulate(m, 600, seed = 13, lo = -1, hi = 1)
  names(d) <- c("u", "v", "resp")
  data <- tempfile(fileext = ".csv")
  write_data(d[c("v", "resp", "u")], data)  # another column order in the file
  cases <- list(
    list(r = list(), c = character()),
    list(r = list(init = "random", stop = "relative", tol = 1e-7, accel = FALSE,
                  var_floor = 1e-4, max_iter = 300),
         c = c("--init", "random", "--stop", "relative", "--tol", "1e-7", "--no-accel",
               "--var-floor", "1e-4", "--max-iter", "300")),
    list(r = list(gate = "temperature", tau = 0.5), c = c("--gate", "temperature", "--tau", "0.5")),
    list(r = list(gate = "sigmoid"), c = c("--gate", "sigmoid")),
    list(r = list(gate = "gaussian"), c = c("--gate", "gaussian")))
  for (cs in cases) {
    fit <- do.call(gmoe_fit, c(list(resp ~ u + v, d, k = 2, starts = 3, seed = 8), cs$r))
    fj <- tempfile(fileext = ".json")
    run_cli("fit", "-k", 2, "--starts", 3, "--seed", 8, "--y", "resp", "--x", "u,v", cs$c,
            "-o", fj, data)
    ref <- gmoe_read(fj)
    keys <- c("a", "b", "var", if (fit$model$gate == "gaussian") c("pi", "c", "Gamma")
              else c("beta0", "beta1"), if (!is.null(ref$tau)) "tau")
    for (key in keys) expect_identical(fit$model[[key]], ref[[key]], info = paste(cs$c, key))
    for (key in c("loglik", "aic", "bic", "iterations", "nparams", "status", "stop"))
      expect_identical(fit$fit[[key]], ref$fit[[key]], info = paste(cs$c, key))
  }
})

test_that("logLik, AIC, BIC, nobs and coef follow their definitions", {
  fit <- gmoe_fit(waiting ~ eruptions, faithful, k = 2, starts = 5, seed = 1)
  expect_s3_class(fit, "gmoe")
  ll <- logLik(fit)
  p <- 2 * (1 + 2) + 1 * (1 + 1)  # experts k(d + 2), gate (k - 1)(d + 1)
  expect_equal(attr(ll, "df"), p)
  expect_equal(nobs(fit), 272)
  expect_equal(AIC(fit), -2 * as.numeric(ll) + 2 * p, tolerance = 1e-14)
  expect_equal(BIC(fit), -2 * as.numeric(ll) + p * log(272), tolerance = 1e-14)
  expect_equal(AIC(fit), fit$fit$aic, tolerance = 1e-14)
  expect_equal(BIC(fit), fit$fit$bic, tolerance = 1e-14)
  expect_equal(as.numeric(ll), gmoe_loglik(fit, faithful, waiting ~ eruptions),
               tolerance = 1e-12)
  expect_equal(as.numeric(ll), softmax_loglik(fit$model, as.matrix(faithful["eruptions"]),
                                              faithful$waiting), tolerance = 1e-10)
  co <- coef(fit)
  expect_equal(dim(co), c(5L, 2L))
  expect_equal(rownames(co), c("beta0", "beta1[eruptions]", "b", "a[eruptions]", "var"))
  expect_equal(unname(co[1:2, 2]), c(0, 0))  # canonical form
  # The best known value for faithful, k = 2 (data/README.md): -851.3149
  expect_gt(as.numeric(ll), -851.32)
})

test_that("predict, fitted and residuals agree with the formulas; summary and plot work", {
  fit <- gmoe_fit(waiting ~ eruptions, faithful, k = 2, starts = 5, seed = 1)
  m <- fit$model
  x <- faithful$eruptions
  s <- outer(x, m$beta1[, 1]) + matrix(m$beta0, length(x), 2, byrow = TRUE)
  g <- exp(s) / rowSums(exp(s))
  mu <- outer(x, m$a[, 1]) + matrix(m$b, length(x), 2, byrow = TRUE)
  expect_equal(unname(predict(fit, type = "gate")), g, tolerance = 1e-12)
  expect_equal(fitted(fit), rowSums(g * mu), tolerance = 1e-12)
  expect_equal(residuals(fit), faithful$waiting - rowSums(g * mu), tolerance = 1e-12)
  nd <- data.frame(eruptions = c(2, 4.5), waiting = c(50, 80))
  p <- predict(fit, newdata = nd, type = "all")
  expect_equal(rowSums(p$posterior), c(1, 1), tolerance = 1e-14)
  expect_equal(p$mean, predict(fit, newdata = nd["eruptions"]))
  expect_length(p$logdens, 2)
  expect_output(print(summary(fit)), "data share")
  expect_output(print(fit), "log-likelihood")
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  expect_silent(plot(fit))
  grDevices::dev.off()
  expect_gt(file.size(f), 1000)
})

test_that("a fit written with gmoe_write is a model file the command line reads", {
  fit <- gmoe_fit(waiting ~ eruptions, faithful, k = 2, starts = 3, seed = 2)
  f <- tempfile(fileext = ".json")
  gmoe_write(fit, f)
  r <- gmoe_read(f)
  expect_identical(r$fit$loglik, fit$fit$loglik)
  expect_identical(r$b, fit$model$b)
  skip_if(!nzchar(gmoe_cli()), "the gmoe binary is needed (set GMOE)")
  data <- tempfile(fileext = ".csv")
  write_data(faithful, data)
  ll <- as.numeric(run_cli("loglik", "--model", f, "--y", "waiting", data))
  expect_equal(ll, fit$fit$loglik, tolerance = 1e-15)
})

test_that("on faithful and npreg gmoe reaches at least flexmix's log-likelihood", {
  skip_if_not_installed("flexmix")
  suppressPackageStartupMessages(library(flexmix))
  data("NPreg", package = "flexmix", envir = environment())
  cases <- list(list(f = waiting ~ eruptions, c = ~ eruptions, d = faithful),
                list(f = yn ~ x + I(x^2), c = ~ x + I(x^2), d = NPreg))
  for (cs in cases) {
    set.seed(1)
    fm <- flexmix(cs$f, data = cs$d, k = 2, concomitant = FLXPmultinom(cs$c))
    fit <- gmoe_fit(cs$f, cs$d, k = 2, starts = 20, seed = 1)
    if (length(fm@size) == 2)  # flexmix may drop a component; then there is nothing to compare
      expect_gte(fit$fit$loglik, fm@logLik - 1e-6)
  }
})
