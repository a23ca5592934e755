/**
 * Reading tar streams with bounds: entry sizes, header counts and names are
 * checked before anything is buffered.
 */
package dev.gantry.scan.tar;
