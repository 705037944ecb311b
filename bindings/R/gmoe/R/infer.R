# Standard errors of a fit (gmoe_fit(..., se = )): vcov, confint, the summary's table, and the
# predictive spread of predict.gmoe. Every number comes from libgmoe (gmoe_infer.h).

se_options <- function(se, bootstrap, ctx) {
  if (is.null(se)) {
    if (!is.null(bootstrap))
      stop(sprintf("%s: bootstrap only goes with se = \"bootstrap\"", ctx), call. = FALSE)
    return(list())
  }
  opts <- list(se = check_choice(se, "se", c("observed", "sandwich", "bootstrap"), ctx))
  if (!is.null(bootstrap)) {
    if (se != "bootstrap")
      stop(sprintf("%s: bootstrap only goes with se = \"bootstrap\"", ctx), call. = FALSE)
    opts$bootstrap <- check_count(bootstrap, "bootstrap", ctx, minimum = 2)
  }
  opts
}

# libgmoe's parameter names ("beta1_1[2]", "Gamma_1[1,2]") with the covariates' names in the
# brackets, as `gmoe fit --se` prints them.
se_labels <- function(names, xnames) {
  vapply(names, function(nm) {
    m <- regmatches(nm, regexec("^(.*)\\[([0-9]+)(,([0-9]+))?\\]$", nm))[[1]]
    if (length(m) == 0) return(nm)
    idx <- xnames[as.integer(c(m[3], if (nzchar(m[5])) m[5]))]
    sprintf("%s[%s]", m[2], paste(idx, collapse = ","))
  }, "", USE.NAMES = FALSE)
}

no_se_hint <- function(what)
  paste0(what, ": fit with se = \"observed\" (or \"sandwich\", \"bootstrap\")")

# The covariance of the free parameters, or an error saying why there is none.
se_cov <- function(object, ctx) {
  se <- object$se
  if (is.null(se))
    stop(sprintf("%s: %s", ctx, no_se_hint("the fit has no standard errors")), call. = FALSE)
  if (is.null(se$cov))
    stop(sprintf("%s: no standard errors (%s): %s", ctx, se$method, se$reason), call. = FALSE)
  lab <- se_labels(se$names, object$xnames)
  structure(se$cov, dimnames = list(lab, lab))
}

vcov.gmoe <- function(object, ...) se_cov(object, "vcov")

confint.gmoe <- function(object, parm, level = 0.95, ...) {
  v <- se_cov(object, "confint")
  if (!is.numeric(level) || length(level) != 1 || !(level > 0 && level < 1))
    stop(sprintf("confint: level must lie strictly between 0 and 1 (got %s)", deparse1(level)),
         call. = FALSE)
  est <- structure(object$se$estimate, names = rownames(v))
  if (missing(parm)) parm <- names(est)
  a <- (1 - level) / 2
  z <- stats::qnorm(1 - a)
  s <- sqrt(diag(v))[parm]
  ci <- cbind(est[parm] - z * s, est[parm] + z * s)
  dimnames(ci) <- list(names(est[parm]), sprintf("%s %%", format(100 * c(a, 1 - a), trim = TRUE,
                                                                 digits = 3)))
  ci
}

# The summary's table: estimate, standard error, 95 % Wald interval (NULL without se; the
# reason alone when there are none).
se_table <- function(object) {
  se <- object$se
  if (is.null(se)) return(NULL)
  if (is.null(se$cov)) return(list(method = se$method, reason = se$reason))
  v <- vcov(object)
  s <- sqrt(diag(v))
  list(method = se$method, bootstrap_failed = se$bootstrap_failed,
       table = cbind(Estimate = se$estimate, "Std. Error" = s, confint(object)))
}

print_se_table <- function(x, digits) {
  how <- c(observed = "inverse observed information", sandwich = "sandwich I^-1 J I^-1",
           bootstrap = "parametric bootstrap")[[x$method]]
  if (x$method == "bootstrap" && isTRUE(x$bootstrap_failed > 0))
    how <- sprintf("%s; %.0f refits left out", how, x$bootstrap_failed)
  if (is.null(x$table)) {
    cat(sprintf("\nStandard errors (%s): none: %s.\n", how, x$reason))
    return(invisible(x))
  }
  cat(sprintf("\nStandard errors (%s), 95 %% Wald intervals (estimate +- 1.96 SE):\n", how))
  print(signif(x$table, digits))
  invisible(x)
}

# sd, quantiles (n x length(quantiles), columns "q0.05", ...) and se.fit of predict.gmoe.
predict_spread <- function(object, x, sd, quantiles, se.fit) {
  probs <- NULL
  if (!is.null(quantiles)) {
    if (!is.numeric(quantiles) || length(quantiles) == 0 || anyNA(quantiles))
      stop("predict: quantiles must be numbers strictly between 0 and 1", call. = FALSE)
    probs <- as.numeric(quantiles)
  }
  se <- NULL
  if (isTRUE(se.fit)) {
    if (is.null(object$se))
      stop(paste("predict:", no_se_hint("se.fit = TRUE needs standard errors")), call. = FALSE)
    se <- object$se
  }
  r <- call_named(.Call(C_rg_spread, unclass(object$model), x, isTRUE(sd), probs, se),
                  object$xnames)
  if (!is.null(r$quantiles)) colnames(r$quantiles) <- paste0("q", as.character(probs))
  r
}
