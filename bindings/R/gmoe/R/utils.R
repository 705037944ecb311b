# Argument checks shared by the package's functions. They refuse what the C layer would
# misread (wrong types, non-integers) with a message naming the function and the argument;
# the values themselves are checked by libgmoe.

check_count <- function(x, what, context, minimum = 1) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x != floor(x) || x < minimum ||
      x > 2^53)
    stop(sprintf("%s: %s must be an integer >= %d (got %s)", context, what, minimum,
                 deparse1(x)), call. = FALSE)
  as.numeric(x)
}

check_seed <- function(seed, context) {
  s <- check_count(seed, "seed", context)
  if (s > 4294967295)
    stop(sprintf("%s: seed must be between 1 and 4294967295 (got %.0f)", context, s),
         call. = FALSE)
  s
}

check_number <- function(x, what, context, positive = FALSE) {
  if (!is.numeric(x) || length(x) != 1 || !is.finite(x) || (positive && x <= 0))
    stop(sprintf("%s: %s must be a finite number%s (got %s)", context, what,
                 if (positive) " > 0" else "", deparse1(x)), call. = FALSE)
  as.numeric(x)
}

check_choice <- function(x, what, choices, context) {
  if (!is.character(x) || length(x) != 1 || !(x %in% choices))
    stop(sprintf("%s: %s must be one of %s (got %s)", context, what,
                 paste(choices, collapse = ", "), deparse1(x)), call. = FALSE)
  x
}

# The model list of a fit or a model.
as_model <- function(x, what, context) {
  if (inherits(x, "gmoe")) return(x$model)
  if (inherits(x, "gmoe_model")) return(x)
  stop(sprintf("%s: %s must be a gmoe fit or a gmoe_model (got %s)", context, what,
               class(x)[1]), call. = FALSE)
}

# The design arguments of gmoe_simulate and gmoe_eval as (kind, p1, p2), with the command
# line's rules: lo and hi for uniform and grid, mean and sd for normal, none for gate.
design_args <- function(design, lo, hi, mean, sd, context) {
  check_choice(design, "design", c("uniform", "grid", "normal", "gate"), context)
  given <- c(lo = !is.null(lo), hi = !is.null(hi), mean = !is.null(mean), sd = !is.null(sd))
  if (design == "gate" && any(given))
    stop(sprintf("%s: design = \"gate\" takes no lo, hi, mean or sd (x is drawn from the model's Gaussian gate)",
                 context), call. = FALSE)
  if (design == "normal") {
    if (any(given[c("lo", "hi")]))
      stop(sprintf("%s: %s is not used by design = \"normal\" (use mean and sd)", context,
                   names(which(given[c("lo", "hi")]))[1]), call. = FALSE)
    return(list(design, if (is.null(mean)) 0 else check_number(mean, "mean", context),
                if (is.null(sd)) 1 else check_number(sd, "sd", context, positive = TRUE)))
  }
  if (any(given[c("mean", "sd")]))
    stop(sprintf("%s: %s is only used by design = \"normal\" (design = \"%s\" takes lo and hi)",
                 context, names(which(given[c("mean", "sd")]))[1], design), call. = FALSE)
  list(design, if (is.null(lo)) 0 else check_number(lo, "lo", context),
       if (is.null(hi)) 1 else check_number(hi, "hi", context))
}

# The covariate matrix (n x d, numeric, column names kept) and the response of a formula
# over data. Factors and text are refused (gmoe's covariates are numbers: code them first);
# missing values are refused with the column and rows that hold them (never dropped).
model_data <- function(formula, data, context, response = TRUE) {
  if (!inherits(formula, "formula"))
    stop(sprintf("%s: formula must be a formula such as y ~ x1 + x2", context), call. = FALSE)
  tt <- terms(formula, data = data)
  if (!response) tt <- delete.response(tt)
  mf <- model.frame(tt, data, na.action = na.pass)
  for (v in names(mf)) {
    col <- mf[[v]]
    bad <- which(is.na(as.matrix(col)), arr.ind = FALSE)
    if (length(bad)) {
      rows <- unique((bad - 1) %% NROW(col) + 1)
      stop(sprintf("%s: column \"%s\" has missing values (NA or NaN) in row%s %s: gmoe drops no rows; remove or impute them first",
                   context, v, if (length(rows) > 1) "s" else "",
                   paste(utils::head(rows, 5), collapse = ", ")), call. = FALSE)
    }
    if (is.factor(col) || is.character(col) || is.logical(col))
      stop(sprintf("%s: column \"%s\" is %s: gmoe takes numeric covariates and responses (code it as numbers first, e.g. with model.matrix(~ %s))",
                   context, v, if (is.logical(col)) "logical" else "a factor or text", v),
           call. = FALSE)
  }
  x <- model.matrix(tt, mf)
  x <- x[, colnames(x) != "(Intercept)", drop = FALSE]
  if (ncol(x) == 0)
    stop(sprintf("%s: the formula has no covariates (every expert and the gate have their own intercepts already)",
                 context), call. = FALSE)
  storage.mode(x) <- "double"
  attr(x, "assign") <- NULL
  y <- if (response) as.numeric(model.response(mf)) else NULL
  list(x = x, y = y, terms = tt)
}

# Name the covariate of a library message "observation 3: x2 = inf is not finite".
name_columns <- function(msg, xnames) {
  m <- regmatches(msg, regexec("observation [0-9]+: x([0-9]+) =", msg))[[1]]
  if (length(m) == 2 && as.integer(m[2]) <= length(xnames))
    msg <- paste0(msg, sprintf(" (column \"%s\")", xnames[as.integer(m[2])]))
  msg
}

call_named <- function(expr, xnames) {
  tryCatch(expr, error = function(e) stop(name_columns(conditionMessage(e), xnames),
                                          call. = FALSE))
}
