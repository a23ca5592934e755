/**
 * The scanner: reads a layer (a tar stream) once, within a memory and time
 * budget, and records what its files say about hardware: knowledge-base rule
 * matches, CPU features of ELF files, device nodes; then merges the layers of
 * an image into one hardware document ({@code ImageAnalyzer}).
 *
 * <p>Pure analysis over streams: no HTTP, no registry, no upstream (checked by
 * {@code LayeringTest}); used by {@code hardware} and {@code cli}.
 */
package dev.gantry.scan;
