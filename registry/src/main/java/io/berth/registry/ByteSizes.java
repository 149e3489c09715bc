package io.berth.registry;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as people write and read them: {@code 512 B}, {@code 1.5 KiB}, {@code 10GiB}, {@code 500MB}. */
public final class ByteSizes {
    private static final String[] BINARY = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGTP]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {
    }

    /** Binary units, one decimal: 512 B, 1.5 KiB, 12.0 MiB. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < BINARY.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, BINARY[unit]);
    }

    /**
     * A whole number of bytes, with an optional unit: {@code B}, decimal {@code KB MB GB TB PB} (powers of 1000) or
     * binary {@code KiB MiB GiB TiB PiB} (powers of 1024).
     *
     * @throws IllegalArgumentException for anything else, or a size beyond a long
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: " + text + " (write it as 500MB, 10GiB or a number of "
                    + "bytes)");
        }
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long factor = 1;
        if (!unit.equals("B")) {
            int power = "KMGTP".indexOf(unit.charAt(0)) + 1;
            long base = unit.contains("I") ? 1024 : 1000;
            for (int i = 0; i < power; i++) {
                factor *= base;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), factor);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size too large: " + text);
        }
    }
}
