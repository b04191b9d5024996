/* version.h - the Kamal release whose configuration format kamal-c
 * implements (minimum_version is checked against it). */
#ifndef KAMAL_C_VERSION_H
#define KAMAL_C_VERSION_H

#define KC_KAMAL_COMPAT_VERSION "2.12.0"

#endif
