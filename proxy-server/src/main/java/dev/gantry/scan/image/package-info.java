/**
 * From layer findings to one hardware document: the merged filesystem
 * (whiteouts honoured), the image configuration's signals, the entry point,
 * and the document's evidence, devices and volumes.
 */
package dev.gantry.scan.image;
