/**
 * The {@code gantry} command line (picocli): {@code serve}, {@code check},
 * {@code scan}, {@code config}. Commands parse arguments and call into
 * {@code app} (to run a server) or into the scanner and {@code hardware}
 * (to analyse an image without one).
 *
 * <p>The only package besides {@code app} that may use {@code app}.
 */
package dev.gantry.cli;
