/**
 * Reading an OCI image layout directory ({@code gantry scan oci:DIR}).
 */
package dev.gantry.scan.layout;
