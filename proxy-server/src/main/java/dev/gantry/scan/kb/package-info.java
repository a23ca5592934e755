/**
 * The hardware knowledge base: rules from {@code conf/hardware-kb/*.yaml}
 * (path globs, sonames, section and text matches, what each implies) parsed
 * into an index the scanner queries per file.
 */
package dev.gantry.scan.kb;
