/* The subcommands of gmoe. Each is main_<cmd>(argc, argv) in cli/cmd_<cmd>.c, with argv[0]
 * the subcommand's name; `gmoe CMD --help` (and `gmoe help CMD`) prints its usage on stdout
 * and returns 0. To add a subcommand: write cli/cmd_<cmd>.c, declare main_<cmd> here, add
 * one entry to the table in cli/gmoe.c and the file to cli_gmoe_SOURCES in Makefile.am. */
#ifndef GMOE_CLI_COMMANDS_H
#define GMOE_CLI_COMMANDS_H

int main_simulate(int argc, char **argv);
int main_loglik(int argc, char **argv);
int main_fit(int argc, char **argv);
int main_predict(int argc, char **argv);
int main_sweep(int argc, char **argv);
int main_merge(int argc, char **argv);
int main_rate(int argc, char **argv);
int main_eval(int argc, char **argv);
int main_select(int argc, char **argv);

#endif
