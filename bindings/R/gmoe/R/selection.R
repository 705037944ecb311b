# The dendrogram of mixing measures and the dendrogram selection criterion.

gmoe_dendrogram <- function(fit, data = NULL, formula = NULL, mass = "gate", omega = NULL) {
  ctx <- "gmoe_dendrogram"
  m <- as_model(fit, "fit", ctx)
  check_choice(mass, "mass", c("gate", "intercept"), ctx)
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
  r <- call_named(.Call(C_rg_dendrogram, unclass(m), x, y, mass, omega), colnames(x))
  levels <- as.data.frame(r$levels)
  list(chosen = r$chosen, omega = r$omega, levels = levels,
       models = lapply(r$models, structure, class = "gmoe_model"))
}
