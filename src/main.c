/* main.c - placeholder until the dispatcher lands. */
#include <stdio.h>
int main(void)
{
    puts("kamal-c " KC_VERSION);
    return 0;
}
