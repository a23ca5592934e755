/**
 * The configuration as data: records read from YAML with their embedded
 * defaults, validated with every problem named by key and line.
 *
 * <p>Depends on nothing of Gantry but the OCI model: configuration never
 * reaches into the services it configures.
 */
package dev.gantry.config;
