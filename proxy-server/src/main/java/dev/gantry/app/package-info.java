/**
 * The composition root: reads the configuration, builds every
 * implementation (storage tiers, the upstream client, the registry services,
 * the hardware extension, the HTTP server) and wires them together
 * ({@code RegistryAssembly} the registry's parts, their listeners on
 * {@code BlobEvents}); it is the only package that calls {@code new} on a
 * registry service. Start-up
 * checks ({@code Preflight}), the status page and the process's lifecycle.
 *
 * <p>May use every other package. Nothing outside {@code app} and {@code cli}
 * depends on it (checked by {@code LayeringTest}).
 */
package dev.gantry.app;
