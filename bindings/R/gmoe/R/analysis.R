# Simulation, log-likelihood and evaluation against the truth.

gmoe_simulate <- function(model, n, seed = 1, design = "uniform", lo = NULL, hi = NULL,
                          mean = NULL, sd = NULL) {
  ctx <- "gmoe_simulate"
  m <- as_model(model, "model", ctx)
  n <- check_count(n, "n", ctx)
  des <- design_args(design, lo, hi, mean, sd, ctx)
  r <- .Call(C_rg_simulate, unclass(m), n, check_seed(seed, ctx), des[[1]], des[[2]],
             des[[3]])
  colnames(r$x) <- paste0("x", seq_len(ncol(r$x)))
  data.frame(r$x, y = r$y)
}

gmoe_loglik <- function(model, data, formula = y ~ .) {
  ctx <- "gmoe_loglik"
  m <- as_model(model, "model", ctx)
  md <- model_data(formula, data, ctx)
  if (ncol(md$x) != m$d)
    stop(sprintf("gmoe_loglik: the formula gives %d covariates, the model has d = %d",
                 ncol(md$x), m$d), call. = FALSE)
  call_named(.Call(C_rg_loglik, unclass(m), md$x, md$y), colnames(md$x))
}

gmoe_eval <- function(fit, truth, design = "uniform", lo = NULL, hi = NULL, mean = NULL,
                      sd = NULL, loss = "auto", pinned = FALSE, samples = 2000, seed = 1) {
  ctx <- "gmoe_eval"
  f <- as_model(fit, "fit", ctx)
  t <- as_model(truth, "truth", ctx)
  des <- design_args(design, lo, hi, mean, sd, ctx)
  check_choice(loss, "loss", c("auto", "d1", "d2", "D1", "D2"), ctx)
  .Call(C_rg_eval, unclass(f), unclass(t), des[[1]], des[[2]], des[[3]], loss,
        isTRUE(pinned), check_count(samples, "samples", ctx, minimum = 2),
        check_seed(seed, ctx))
}
