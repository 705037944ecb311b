# Bad input gives the library's one-line message (or the package's, naming the argument) as
# an R error, never a crash.

test_that("missing values, factors and non-finite values are refused by name", {
  d <- faithful
  d$eruptions[5] <- NA
  expect_error(gmoe_fit(waiting ~ eruptions, d, k = 2),
               "gmoe_fit: column \"eruptions\" has missing values \\(NA or NaN\\) in row 5", )
  d$eruptions[5] <- NaN
  expect_error(gmoe_fit(waiting ~ eruptions, d, k = 2), "missing values")
  d$eruptions[5] <- Inf
  expect_error(gmoe_fit(waiting ~ eruptions, d, k = 2),
               "gmoe_fit: observation 5: x1 = inf is not finite (column \"eruptions\")",
               fixed = TRUE)
  d <- faithful
  d$waiting[3] <- 1e200
  expect_error(gmoe_fit(waiting ~ eruptions, d, k = 2),
               "gmoe_fit: observation 3: y = 1e+200 is too large to fit (|value| > 1e+150)",
               fixed = TRUE)
  d <- faithful
  d$g <- factor(rep(c("a", "b"), 136))
  expect_error(gmoe_fit(waiting ~ eruptions + g, d, k = 2), "column \"g\" is a factor")
  expect_error(gmoe_fit(waiting ~ 1, faithful, k = 2), "the formula has no covariates")
})

test_that("k, options and shapes are checked", {
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 0),
               "gmoe_fit: k must be an integer >= 1 (got 0)", fixed = TRUE)
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 1.5), "k must be an integer")
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 300),
               "k = 300 exceeds the number of observations (n = 272)", fixed = TRUE)
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 2, gate = "softmx"),
               "gate must be one of")
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 2, gate = "topk"),
               "needs topk = K")
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 2, seed = 2^32),
               "seed must be between 1 and 4294967295")
  expect_error(gmoe_fit(waiting ~ eruptions, faithful, k = 2, init = "near-true"),
               "needs truth")
  m <- softmax_truth()
  expect_error(gmoe_loglik(m, data.frame(a = 1:3, b = 1:3, y = 1:3), y ~ a + b),
               "the formula gives 2 covariates, the model has d = 1")
  expect_error(gmoe_simulate(m, 0), "n must be an integer >= 1")
  expect_error(gmoe_simulate(m, 10, design = "grd"), "design must be one of")
  expect_error(gmoe_simulate(m, 10, sd = 2), "sd is only used by design = \"normal\"")
  expect_error(gmoe_simulate(m, 10, design = "gate"),
               "gmoe_simulate: .*Gaussian gate")
  expect_error(gmoe_simulate("truth.json", 10), "must be a gmoe fit or a gmoe_model")
  fit <- gmoe_fit(waiting ~ eruptions, faithful, k = 2, starts = 2)
  expect_error(predict(fit, newdata = data.frame(x = 1)), "eruptions")
  expect_error(predict(fit, newdata = data.frame(eruptions = NA)), "missing values")
})

test_that("bad models and missing files give the library's message", {
  expect_error(gmoe_model(beta0 = c(0, 0), beta1 = c(1, 0), a = c(1, 1), b = c(0, 0),
                          var = c(1, -1)),
               "gmoe_model: expert 2: var must be > 0 (got -1)", fixed = TRUE)
  expect_error(gmoe_model(beta0 = 0, beta1 = 1, a = 1, b = 0, var = 1, gate = "temperature"),
               "tau")
  expect_error(gmoe_read("nofile.json"),
               "gmoe_read: nofile.json: cannot open: No such file or directory", fixed = TRUE)
  f <- tempfile(fileext = ".json")
  writeLines('{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0}]}', f)
  expect_error(gmoe_read(f), "experts\\[0\\].beta1: missing")
  expect_error(gmoe_sweep("none.conf"),
               "gmoe_sweep: none.conf: cannot open: No such file or directory", fixed = TRUE)
  expect_error(gmoe_rate("none.csv"), "none.csv: cannot open", fixed = TRUE)
  expect_error(gmoe_write(softmax_truth(), file.path(tempdir(), "no", "dir", "m.json")),
               "gmoe_write: .*cannot write")
  m <- softmax_truth()
  m$var <- "a"
  expect_error(gmoe_loglik(m, data.frame(x1 = 1, y = 1)), "var: expected 2 numbers")
})
