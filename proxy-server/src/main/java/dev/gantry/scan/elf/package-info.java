/**
 * ELF files read through bounded windows: headers, sections, symbols, notes
 * (ISA levels, Go build info) and the code windows the instruction decoders
 * walk.
 */
package dev.gantry.scan.elf;
