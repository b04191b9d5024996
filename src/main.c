/* main.c - kamal-c's entry point: everything happens in kc_main. */
#include "kamal-c/cli.h"

int main(int argc, char **argv)
{
    return kc_main(argc, argv);
}
