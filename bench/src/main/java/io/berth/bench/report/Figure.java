package io.berth.bench.report;

/**
 * One measured number of one phase, e.g. "images/s" = 41.7.
 *
 * @param metric what was measured, with its unit
 * @param value  the number; NaN when the server does not support the operation
 * @param better which direction is an improvement, to name the winner of a row
 */
public record Figure(String metric, double value, Better better) {

    public enum Better { HIGHER, LOWER, NEITHER }

    public static Figure higherIsBetter(String metric, double value) {
        return new Figure(metric, value, Better.HIGHER);
    }

    public static Figure lowerIsBetter(String metric, double value) {
        return new Figure(metric, value, Better.LOWER);
    }

    public static Figure count(String metric, long value) {
        return new Figure(metric, value, Better.NEITHER);
    }
}
