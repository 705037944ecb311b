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
