# Convergence-rate sweeps, their results files and the rates (gmoe sweep, gmoe rate).

gmoe_sweep <- function(config, threads = NULL, output = NULL) {
  ctx <- "gmoe_sweep"
  if (!is.character(config) || length(config) != 1)
    stop("gmoe_sweep: config must be one file name", call. = FALSE)
  if (!is.null(output) && (!is.character(output) || length(output) != 1))
    stop("gmoe_sweep: output must be one file name", call. = FALSE)
  th <- if (is.null(threads)) 0 else check_count(threads, "threads", ctx)
  path <- .Call(C_rg_sweep, path.expand(config), th,
                if (is.null(output)) NULL else path.expand(output))
  gmoe_results(path)
}

gmoe_results <- function(path) {
  if (!is.character(path) || length(path) != 1)
    stop("gmoe_results: path must be one file name", call. = FALSE)
  r <- .Call(C_rg_results, path.expand(path))
  df <- as.data.frame(r$columns, check.names = FALSE)
  if ("status" %in% names(df)) {
    # Text, which libgmoe's reader leaves as NaN: read it here, in the reader's row order
    # (sorted by (n, rep), ties in file order).
    raw <- read.csv(path, comment.char = "#", colClasses = "character", check.names = FALSE)
    if (nrow(raw) == nrow(df)) {
      o <- order(as.numeric(raw$n), as.numeric(raw$rep), seq_len(nrow(raw)))
      df$status <- raw$status[o]
    }
  }
  attr(df, "metrics") <- r$metrics
  attr(df, "theory") <- r$theory
  attr(df, "path") <- path
  df
}

gmoe_rate <- function(results, metrics = NULL, trim = 0, bootstrap = NULL, seed = 1) {
  ctx <- "gmoe_rate"
  if (is.character(results)) results <- gmoe_results(results)
  if (!is.data.frame(results) || is.null(results$n))
    stop("gmoe_rate: results must be a results file or the data frame of gmoe_results()",
         call. = FALSE)
  names_all <- attr(results, "metrics")
  if (is.null(names_all))
    names_all <- setdiff(names(results), c("n", "rep", "loglik", "loglik_truth", "iterations",
                                           "maps", "status", "seconds", "start"))
  named <- !is.null(metrics)
  if (named) {
    miss <- setdiff(metrics, names_all)
    if (length(miss)) stop(sprintf("gmoe_rate: no metric named \"%s\"", miss[1]), call. = FALSE)
  } else {
    metrics <- names_all
  }
  trim <- check_count(trim, "trim", ctx, minimum = 0)
  if (!is.null(bootstrap)) bootstrap <- check_count(bootstrap, "bootstrap", ctx, minimum = 0)
  seed <- check_seed(seed, ctx)
  theory <- attr(results, "theory")
  rows <- lapply(metrics, function(m) {
    v <- as.numeric(results[[m]])
    r <- .Call(C_rg_rate, as.numeric(results$n), v, bootstrap, seed, trim)
    th <- if (!is.null(theory) && m %in% names(theory)) theory[[m]] else NA_real_
    if (is.character(r)) {
      # As `gmoe rate`: a named metric must have an estimate; a column of zeros (the
      # reference expert's gate errors) is no failure.
      if (named) stop(sprintf("gmoe_rate: metric \"%s\": %s", m, r), call. = FALSE)
      fin <- v[is.finite(v)]
      err <- if (length(fin) && all(fin == 0)) "identically 0" else r
      return(data.frame(metric = m, slope = NA_real_, ci_low = NA_real_, ci_high = NA_real_,
                        slope_median = NA_real_, n_min = NA_real_, n_max = NA_real_,
                        points = 0, rows = 0, skipped = 0, theory = th, trim_user = NA_real_,
                        trim_25 = NA_real_, trim_50 = NA_real_, error = err,
                        stringsAsFactors = FALSE))
    }
    data.frame(metric = m, slope = r[["slope"]], ci_low = r[["ci_low"]],
               ci_high = r[["ci_high"]], slope_median = r[["slope_median"]],
               n_min = r[["n_min"]], n_max = r[["n_max"]], points = r[["points"]],
               rows = r[["rows"]], skipped = r[["skipped"]], theory = th,
               trim_user = r[["trim_user"]], trim_25 = r[["trim_25"]],
               trim_50 = r[["trim_50"]], error = NA_character_, stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows)
  if (trim == 0) out$trim_user <- NULL
  failed <- !is.na(out$error) & out$error != "identically 0"
  if (any(failed) && all(!is.na(out$error)))
    stop(sprintf("gmoe_rate: metric \"%s\": %s", out$metric[failed][1], out$error[failed][1]),
         call. = FALSE)
  for (i in which(failed))
    warning(sprintf("gmoe_rate: metric \"%s\" has no estimate: %s", out$metric[i],
                    out$error[i]), call. = FALSE)
  rownames(out) <- NULL
  out
}
