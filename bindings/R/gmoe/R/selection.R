# The dendrogram of mixing measures and the dendrogram selection criterion.

gmoe_dendrogram <- function(fit, data = NULL, formula = NULL, mass = "gate", dsc = "plain",
                            omega = NULL) {
  ctx <- "gmoe_dendrogram"
  m <- as_model(fit, "fit", ctx)
  check_choice(mass, "mass", c("gate", "intercept"), ctx)
  check_choice(dsc, "dsc", c("plain", "rescaled"), ctx)
  if (!is.null(omega)) omega <- check_number(omega, "omega", ctx, positive = TRUE)
  if (is.null(data)) {
    if (!inherits(fit, "gmoe"))
      stop("gmoe_dendrogram: data are needed for a model that was not fitted here",
           call. = FALSE)
    x <- fit$x
    y <- fit$y
  } else {
    if (is.null(formula))
      formula <- if (inherits(fit, "gmoe")) stats::formula(fit$terms) else y ~ .
    md <- model_data(formula, data, ctx)
    if (ncol(md$x) != m$d)
      stop(sprintf("gmoe_dendrogram: the formula gives %d covariates, the model has d = %d",
                   ncol(md$x), m$d), call. = FALSE)
    x <- md$x
    y <- md$y
  }
  r <- call_named(.Call(C_rg_dendrogram, unclass(m), x, y, mass, dsc, omega), colnames(x))
  list(chosen = r$chosen, omega = r$omega, levels = as.data.frame(r$levels),
       models = lapply(r$models, structure, class = "gmoe_model"))
}

gmoe_select <- function(formula, data, k, kmin = 1, gate = "softmax", starts = 10, seed = 1,
                        mass = "gate", dsc = "plain", omega = NULL, ...) {
  ctx <- "gmoe_select"
  k <- check_count(k, "k", ctx)
  kmin <- check_count(kmin, "kmin", ctx)
  if (kmin > k) stop(sprintf("gmoe_select: kmin = %d exceeds k = %d", kmin, k), call. = FALSE)
  check_choice(mass, "mass", c("gate", "intercept"), ctx)
  check_choice(dsc, "dsc", c("plain", "rescaled"), ctx)
  if (!is.null(omega)) omega <- check_number(omega, "omega", ctx, positive = TRUE)
  more <- list(...)
  known <- c("topk", "topk_select", "tau", "fix_tau", "activation", "init", "truth", "stop",
             "tol", "max_iter", "accel", "var_floor", "threads", "gate_bound")
  if (length(more) && (is.null(names(more)) || !all(names(more) %in% known)))
    stop(sprintf("gmoe_select: unknown option %s", setdiff(names(more), known)[1]),
         call. = FALSE)
  get <- function(name, default = NULL) if (is.null(more[[name]])) default else more[[name]]
  md <- model_data(formula, data, ctx)
  opts <- fit_options(ctx, k, md, gate, starts, seed, get("topk"), get("topk_select"),
                      get("tau"), get("fix_tau", FALSE), get("activation"),
                      get("init", "data"), get("truth"), get("stop"), get("tol"),
                      get("max_iter"), get("accel", TRUE), get("var_floor"), get("threads"),
                      get("gate_bound"))
  r <- call_named(.Call(C_rg_select, md$x, md$y, k, gate, opts, kmin, mass, dsc, omega),
                  colnames(md$x))
  fits <- as.data.frame(r$fits, stringsAsFactors = FALSE)
  names(r$fit_models) <- fits$k
  # the estimator settings `gmoe select --json` reports: the acceleration, the gate bound
  accel <- if (!opts$accel) "none" else if (is.null(opts$accel_method)) "squarem"
           else opts$accel_method
  list(chosen = r$chosen, omega = r$omega, accel = accel,
       gate_bound = if (is.null(opts$gate_bound)) NA_real_ else opts$gate_bound, fits = fits,
       models = lapply(r$fit_models, structure, class = "gmoe_model"),
       dendrogram = as.data.frame(r$levels),
       dendrogram_models = lapply(r$models, structure, class = "gmoe_model"))
}
