# Models: building, reading, writing and printing (libgmoe's model module and model files).

as_matrix_k <- function(v, k, what) {
  if (is.null(v)) return(NULL)
  if (is.null(dim(v))) {
    if (length(v) != k)
      stop(sprintf("gmoe_model: %s must have one value per expert (k = %d) or be a k x d matrix",
                   what, k), call. = FALSE)
    v <- matrix(v, nrow = k)
  }
  storage.mode(v) <- "double"
  v
}

gmoe_model <- function(beta0 = NULL, beta1 = NULL, a, b, var = NULL, gate = "softmax",
                       sd = NULL, tau = NULL, topk = NULL, topk_select = "slope",
                       activation = NULL, pi = NULL, c = NULL, Gamma = NULL) {
  check_choice(gate, "gate", c("softmax", "topk", "temperature", "activation", "sigmoid",
                               "gaussian"), "gmoe_model")
  if (is.null(var) == is.null(sd))
    stop("gmoe_model: give var or sd (standard deviations), not both", call. = FALSE)
  if (is.null(var)) var <- sd^2
  k <- length(b)
  if (k < 1) stop("gmoe_model: b must have one value per expert (k >= 1)", call. = FALSE)
  a <- as_matrix_k(a, k, "a")
  d <- ncol(a)
  if (gate == "gaussian") {
    beta0 <- if (is.null(beta0)) rep(0, k) else beta0
    beta1 <- if (is.null(beta1)) matrix(0, k, d) else beta1
    if (is.null(pi) || is.null(c) || is.null(Gamma))
      stop("gmoe_model: the Gaussian gate needs pi, c and Gamma", call. = FALSE)
    if (is.null(dim(Gamma)) && d == 1) Gamma <- array(Gamma, c(k, 1, 1))
  }
  m <- list(gate = gate, k = k, d = d, beta0 = as.numeric(beta0),
            beta1 = as_matrix_k(beta1, k, "beta1"), a = a, b = as.numeric(b),
            var = as.numeric(var))
  if (!is.null(tau)) m$tau <- tau
  if (!is.null(topk)) {
    m$topk <- topk
    m$topk_select <- topk_select
  }
  if (!is.null(activation)) m$activation <- activation
  if (gate == "gaussian") {
    m$pi <- as.numeric(pi)
    m$c <- as_matrix_k(c, k, "c")
    m$Gamma <- array(as.numeric(Gamma), dim(Gamma))
  }
  structure(.Call(C_rg_model_check, m), class = "gmoe_model")
}

gmoe_read <- function(path) {
  if (!is.character(path) || length(path) != 1)
    stop("gmoe_read: path must be one file name", call. = FALSE)
  r <- .Call(C_rg_read, path.expand(path))
  m <- structure(r$model, class = "gmoe_model")
  if (!is.null(r$fit)) m$fit <- r$fit
  if (!is.null(r$se)) m$se <- r$se
  m
}

gmoe_write <- function(x, path = NULL) {
  m <- as_model(x, "x", "gmoe_write")
  fit <- if (inherits(x, "gmoe")) x$fit else m$fit
  if (!is.null(path) && (!is.character(path) || length(path) != 1))
    stop("gmoe_write: path must be one file name", call. = FALSE)
  se <- if (inherits(x, "gmoe")) x$se else m$se
  text <- .Call(C_rg_write, unclass(m), fit, if (is.null(path)) NULL else path.expand(path), se)
  if (is.null(path)) text else invisible(path)
}

gmoe_version <- function() .Call(C_rg_version)

# The parameter table of `gmoe fit`: one row per parameter, one column per expert.
param_table <- function(m, xnames = NULL) {
  d <- m$d
  xn <- if (is.null(xnames)) paste0("x", seq_len(d)) else xnames
  rows <- list()
  if (m$gate == "gaussian") {
    rows[["pi"]] <- m$pi
    for (t in seq_len(d)) rows[[sprintf("c[%s]", xn[t])]] <- m$c[, t]
    for (s in seq_len(d)) for (t in s:d)
      rows[[sprintf("Gamma[%s,%s]", xn[s], xn[t])]] <- m$Gamma[, s, t]
  } else {
    rows[["beta0"]] <- m$beta0
    for (t in seq_len(d)) {
      rows[[sprintf("beta1[%s]", xn[t])]] <- m$beta1[, t]
      if (m$gate == "temperature")
        rows[[sprintf("beta1/tau[%s]", xn[t])]] <- m$beta1[, t] / m$tau
    }
  }
  rows[["b"]] <- m$b
  for (t in seq_len(d)) rows[[sprintf("a[%s]", xn[t])]] <- m$a[, t]
  rows[["var"]] <- m$var
  out <- do.call(rbind, rows)
  colnames(out) <- paste("expert", seq_len(m$k))
  out
}

coef.gmoe_model <- function(object, ...) param_table(object)

gate_line <- function(m, fix_tau = FALSE) {
  extra <- switch(m$gate,
    topk = sprintf(" (K = %d of %d per observation, selected on the %s)", m$topk, m$k,
                   if (m$topk_select == "slope") "slope beta1'x" else "score beta1'x + beta0"),
    temperature = sprintf(" (tau = %.6g, %s; only beta1/tau is identified)", m$tau,
                          if (fix_tau) "fixed" else "estimated"),
    activation = sprintf(" (%s activation, tau = %.6g, %s)", m$activation, m$tau,
                         if (fix_tau) "fixed" else "estimated"),
    gaussian = " (fitted by EM on the joint likelihood of (x, y))",
    "")
  sprintf("%d experts, %s gate%s", m$k, m$gate, extra)
}

print.gmoe_model <- function(x, digits = 6, ...) {
  cat(sprintf("gmoe model: %s, d = %d\n", gate_line(x), x$d))
  if (!is.null(x$fit))
    cat(sprintf("fitted: loglik %.6f, %s, n = %.0f\n", x$fit$loglik, x$fit$status, x$fit$n))
  print(signif(param_table(x), digits))
  invisible(x)
}
