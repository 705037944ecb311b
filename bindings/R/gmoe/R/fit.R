# gmoe_fit and the methods of its "gmoe" objects.

# The options of `gmoe fit` as the list the C layer reads, checked as the command line checks
# them; md: the model data (for n, d and near-true starts).
fit_options <- function(ctx, k, md, gate, starts, seed, topk, topk_select, tau, fix_tau,
                        activation, init, truth, stop, tol, max_iter, accel, var_floor,
                        threads, gate_bound) {
  check_choice(gate, "gate", c("softmax", "topk", "temperature", "activation", "sigmoid",
                               "gaussian"), ctx)
  check_choice(init, "init", c("data", "random", "near-true"), ctx)
  only <- function(what, gates)
    stop(sprintf("%s: %s only goes with gate = %s", ctx, what,
                 paste0("\"", gates, "\"", collapse = " or ")), call. = FALSE)
  if (gate == "topk" && is.null(topk))
    stop(sprintf("%s: gate = \"topk\" needs topk = K", ctx), call. = FALSE)
  if (!is.null(topk) && gate != "topk") only("topk", "topk")
  if (!is.null(topk_select) && gate != "topk") only("topk_select", "topk")
  if (!is.null(tau) && !(gate %in% c("temperature", "activation")))
    only("tau", c("temperature", "activation"))
  if (isTRUE(fix_tau) && !(gate %in% c("temperature", "activation")))
    only("fix_tau", c("temperature", "activation"))
  if (!is.null(activation) && gate != "activation") only("activation", "activation")
  if (init == "near-true" && is.null(truth))
    stop(sprintf("%s: init = \"near-true\" needs truth = a gmoe_model", ctx), call. = FALSE)
  if (!is.null(truth) && init != "near-true")
    stop(sprintf("%s: truth only goes with init = \"near-true\"", ctx), call. = FALSE)
  opts <- list(starts = check_count(starts, "starts", ctx), seed = check_seed(seed, ctx),
               init = init, fix_tau = isTRUE(fix_tau))
  if (is.logical(accel) && length(accel) == 1 && !is.na(accel)) {
    opts$accel <- accel
  } else {
    check_choice(accel, "accel", c("squarem", "qn", "none"), ctx)
    opts$accel <- accel != "none"
    if (opts$accel) opts$accel_method <- accel
  }
  if (!is.null(topk)) {
    opts$topk <- check_count(topk, "topk", ctx)
    if (opts$topk > k) stop(sprintf("%s: topk = %d exceeds k = %d", ctx, opts$topk, k),
                            call. = FALSE)
  }
  if (!is.null(topk_select))
    opts$topk_select <- check_choice(topk_select, "topk_select", c("slope", "score"), ctx)
  if (!is.null(tau)) opts$tau <- check_number(tau, "tau", ctx, positive = TRUE)
  if (!is.null(activation))
    opts$activation <- check_choice(activation, "activation", c("tanh", "sigmoid"), ctx)
  if (!is.null(stop))
    opts$stop <- check_choice(stop, "stop", c("per-obs", "relative"), ctx)
  if (!is.null(tol)) opts$tol <- check_number(tol, "tol", ctx, positive = TRUE)
  if (!is.null(max_iter)) opts$max_iter <- check_count(max_iter, "max_iter", ctx)
  if (!is.null(var_floor))
    opts$var_floor <- check_number(var_floor, "var_floor", ctx, positive = TRUE)
  if (!is.null(threads)) opts$threads <- check_count(threads, "threads", ctx)
  if (!is.null(gate_bound)) {
    if (gate == "gaussian")
      stop(sprintf("%s: gate_bound does not apply to gate = \"gaussian\"", ctx), call. = FALSE)
    opts$gate_bound <- check_number(gate_bound, "gate_bound", ctx, positive = TRUE)
  }
  n <- nrow(md$x)
  if (k > n) stop(sprintf("%s: k = %d exceeds the number of observations (n = %d)", ctx, k, n),
                  call. = FALSE)
  if (!is.null(truth)) {
    truth <- as_model(truth, "truth", ctx)
    if (truth$d != ncol(md$x))
      stop(sprintf("%s: the true model has d = %d, the data d = %d", ctx, truth$d,
                   ncol(md$x)), call. = FALSE)
    if (truth$k > k)
      stop(sprintf("%s: near-true starts need k at least the true k = %d (got k = %d)", ctx,
                   truth$k, k), call. = FALSE)
    opts$truth <- unclass(truth)
  }
  opts
}

gmoe_fit <- function(formula, data, k, gate = "softmax", starts = 10, seed = 1,
                     topk = NULL, topk_select = NULL, tau = NULL, fix_tau = FALSE,
                     activation = NULL, init = "data", truth = NULL, stop = NULL, tol = NULL,
                     max_iter = NULL, accel = TRUE, var_floor = NULL, threads = NULL,
                     gate_bound = NULL, prefer = "best", se = NULL, bootstrap = NULL) {
  ctx <- "gmoe_fit"
  k <- check_count(k, "k", ctx)
  md <- model_data(formula, data, ctx)
  opts <- fit_options(ctx, k, md, gate, starts, seed, topk, topk_select, tau, fix_tau,
                      activation, init, truth, stop, tol, max_iter, accel, var_floor, threads,
                      gate_bound)
  opts$prefer_interior <- check_choice(prefer, "prefer", c("best", "interior"), ctx) ==
    "interior"
  opts <- c(opts, se_options(se, bootstrap, ctx))
  r <- call_named(.Call(C_rg_fit, md$x, md$y, k, gate, opts), colnames(md$x))
  structure(list(model = structure(r$model, class = "gmoe_model"), fit = r$fit, se = r$se,
                 call = match.call(), terms = md$terms, xnames = colnames(md$x),
                 yname = deparse1(formula[[2]]), x = md$x, y = md$y, options = opts,
                 best_start = r$best_start, failed = r$failed, maps = r$maps),
            class = "gmoe")
}

print.gmoe <- function(x, digits = 6, ...) {
  cat("Gaussian mixture of experts fitted by gmoe\n\nCall: ")
  print(x$call)
  cat(sprintf("\n%s; n = %.0f\nlog-likelihood %.6f, AIC %.4f, BIC %.4f; status %s\n\n",
              gate_line(x$model, x$options$fix_tau), x$fit$n, x$fit$loglik, x$fit$aic,
              x$fit$bic, x$fit$status))
  print(signif(coef(x), digits))
  invisible(x)
}

coef.gmoe <- function(object, ...) param_table(object$model, object$xnames)

logLik.gmoe <- function(object, ...) {
  structure(object$fit$loglik, df = object$fit$nparams, nobs = object$fit$n,
            class = "logLik")
}

nobs.gmoe <- function(object, ...) object$fit$n

# The data of newdata (or of the fit) for predict: covariates, and the response when the
# prediction needs it.
predict_data <- function(object, newdata, need_y) {
  if (is.null(newdata)) return(list(x = object$x, y = if (need_y) object$y))
  tt <- object$terms
  md <- model_data(stats::formula(if (need_y) tt else delete.response(tt)), newdata,
                   "predict", response = need_y)
  list(x = md$x, y = md$y)
}

predict.gmoe <- function(object, newdata = NULL,
                         type = c("mean", "gate", "posterior", "logdens", "all"), sd = FALSE,
                         quantiles = NULL, se.fit = FALSE, ...) {
  type <- match.arg(type)
  need_y <- type %in% c("posterior", "logdens", "all")
  if (type == "all" && !is.null(newdata))
    need_y <- all.vars(object$terms[[2]]) %in% names(newdata)
  d <- predict_data(object, newdata, need_y)
  p <- call_named(.Call(C_rg_predict, unclass(object$model), d$x, d$y), object$xnames)
  experts <- paste("expert", seq_len(object$model$k))
  colnames(p$gate) <- experts
  if (!is.null(p$posterior)) colnames(p$posterior) <- experts
  fit <- if (type == "all") p else p[[type]]
  if (!isTRUE(sd) && is.null(quantiles) && !isTRUE(se.fit)) return(fit)
  c(list(fit = fit), predict_spread(object, d$x, sd, quantiles, se.fit))
}

fitted.gmoe <- function(object, ...) predict(object, type = "mean")

residuals.gmoe <- function(object, ...) object$y - fitted(object)

summary.gmoe <- function(object, ...) {
  post <- predict(object, type = "posterior")
  structure(list(call = object$call, fit = object$fit, model = object$model,
                 xnames = object$xnames, yname = object$yname, options = object$options,
                 best_start = object$best_start, failed = object$failed, maps = object$maps,
                 coefficients = rbind(coef(object), "data share" = colMeans(post)),
                 se = se_table(object)),
            class = "summary.gmoe")
}

print.summary.gmoe <- function(x, digits = 6, ...) {
  f <- x$fit
  cat(sprintf("gmoe fit: n = %.0f, response %s, covariate%s %s\n%s\n\n", f$n, x$yname,
              if (length(x$xnames) > 1) "s" else "", paste(x$xnames, collapse = ", "),
              gate_line(x$model, x$options$fix_tau)))
  cat(sprintf("%-16s %.6f\n", "log-likelihood", f$loglik))
  if (!is.null(f$objective))
    cat(sprintf("%-16s %.6f   (of (x, y): what EM maximised)\n", "joint loglik",
                f$loglik_joint))
  cat(sprintf("%-16s %.4f   (-2 loglik + 2p, p = %.0f free parameters)\n", "AIC", f$aic,
              f$nparams))
  cat(sprintf("%-16s %.4f   (-2 loglik + p log n)\n", "BIC", f$bic))
  cat(sprintf("%-16s %s (stopped by: %s)\n", "status", f$status, f$stop))
  if (!is.null(f$gate_bound))
    cat(sprintf("%-16s |beta0|, |beta1| <= %g; %.0f gate parameters on the bound\n",
                "gate bound", f$gate_bound, f$bound_active))
  print_interior(f)
  qn <- identical(x$options$accel_method, "qn") && x$model$gate != "gaussian"
  cat(sprintf("%-16s %.0f%s\n", "iterations", f$iterations,
              if (!isTRUE(x$options$accel)) " EM iterations"
              else if (qn) sprintf(" quasi-Newton cycles (%.0f steps)", x$maps)
              else sprintf(" SQUAREM cycles (%.0f EM maps)", x$maps)))
  cat(sprintf("%-16s %.0f %s start%s (seed %.0f), the best is start %.0f%s; %.3f s\n\n",
              "starts", f$starts, x$options$init, if (f$starts == 1) "" else "s", f$seed,
              x$best_start, if (x$failed > 0) sprintf("; %.0f failed", x$failed) else "",
              f$seconds))
  print(signif(x$coefficients, digits))
  cat("\nCanonical form: ", switch(x$model$gate,
    activation = "the last expert's beta0 is 0 (only differences of beta0 matter).",
    sigmoid = "none needed (the sigmoid gate has no translation freedom).",
    gaussian = "the pi sum to 1.",
    "the last expert's gate parameters are 0 (only differences matter)."), "\n", sep = "")
  cat("var: variance of the expert's noise; data share: sum of the posterior probabilities / n.\n")
  if (!is.null(x$se)) print_se_table(x$se, digits)
  invisible(x)
}

plot.gmoe <- function(x, y, ...) {
  if (x$model$d != 1) stop("plot.gmoe: only for one covariate (d = 1)", call. = FALSE)
  xs <- x$x[, 1]
  grid <- matrix(seq(min(xs), max(xs), length.out = 400), ncol = 1)
  p <- .Call(C_rg_predict, unclass(x$model), grid, NULL)
  old <- par(mfrow = c(2, 1), mar = c(4, 4, 2, 1))
  on.exit(par(old))
  cols <- seq_len(x$model$k) + 1
  plot(xs, x$y, pch = 20, col = "grey50", xlab = x$xnames, ylab = x$yname,
       main = sprintf("gmoe fit: %d experts, %s gate", x$model$k, x$model$gate), ...)
  for (j in seq_len(x$model$k))
    abline(a = x$model$b[j], b = x$model$a[j, 1], col = cols[j], lty = 2)
  lines(grid[, 1], p$mean, lwd = 2)
  legend("topleft", c("predictive mean", paste("expert", seq_len(x$model$k))),
         col = c(1, cols), lty = c(1, rep(2, x$model$k)), lwd = c(2, rep(1, x$model$k)),
         bty = "n", cex = 0.8)
  matplot(grid[, 1], p$gate, type = "l", lty = 1, col = cols, ylim = c(0, 1),
          xlab = x$xnames, ylab = "gate weight", main = "gate weights g_j(x)")
  invisible(x)
}

# The best start that converged when it is not the fit's, or that none did (as gmoe fit).
print_interior <- function(f) {
  li <- f$loglik_interior
  if (is.null(li)) return(invisible())
  if (!is.null(f$prefer))
    cat(sprintf("%-16s log-likelihood %.6f; the best start that converged was kept instead\n",
                "best start", f$loglik_best), sprintf("%16s (prefer = \"interior\")\n", ""),
        sep = "")
  else if (is.nan(li))
    cat(sprintf("%-16s none: no start converged\n", "interior best"))
  else if (li != f$loglik)
    cat(sprintf("%-16s converged, log-likelihood %.6f; prefer = \"interior\" keeps it\n",
                "interior best", li))
  invisible()
}
