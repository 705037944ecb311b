library(testthat)
library(gmoe)

test_check("gmoe")
