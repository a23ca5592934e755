/**
 * Every metric Gantry exports, in one Prometheus registry owned by the
 * application and handed to the parts that count.
 */
package dev.gantry.metrics;
