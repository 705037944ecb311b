# The published softmax truth (NeurIPS 2023), built in R: beta0 = (-8, 0), beta1 = (25, 0),
# a = (-20, 20), b = (15, -5), standard deviations (0.3, 0.4).
softmax_truth <- function() {
  gmoe_model(beta0 = c(-8, 0), beta1 = c(25, 0), a = c(-20, 20), b = c(15, -5),
             sd = c(0.3, 0.4))
}

# The gmoe command-line tool ($GMOE, else the one on PATH): the reference the package must
# agree with. Tests that need it are skipped without it (R CMD check on a machine where only
# the library is installed); make check and CI set GMOE.
gmoe_cli <- function() {
  exe <- Sys.getenv("GMOE")
  if (!nzchar(exe)) exe <- Sys.which("gmoe")
  exe
}

run_cli <- function(...) {
  exe <- gmoe_cli()
  out <- system2(exe, c(...), stdout = TRUE, stderr = TRUE)
  status <- attr(out, "status")
  if (!is.null(status) && status != 0)
    stop(paste("gmoe", paste(c(...), collapse = " "), ":", paste(out, collapse = "\n")))
  out
}

# Data written so that gmoe reads back the same doubles (17 significant digits).
write_data <- function(df, path) {
  lines <- apply(df, 1, function(r) paste(sprintf("%.17g", r), collapse = ","))
  writeLines(c(paste(names(df), collapse = ","), lines), path)
}

# The log-likelihood of the softmax-gated model written from MODELS.md section 2 in R.
softmax_loglik <- function(m, x, y) {
  s <- sweep(x %*% t(m$beta1), 2, m$beta0, "+")
  g <- exp(s - apply(s, 1, max))
  g <- g / rowSums(g)
  mu <- sweep(x %*% t(m$a), 2, m$b, "+")
  dens <- sapply(seq_len(m$k), function(j) dnorm(y, mu[, j], sqrt(m$var[j])))
  sum(log(rowSums(g * dens)))
}
