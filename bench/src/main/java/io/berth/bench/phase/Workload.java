package io.berth.bench.phase;

import io.berth.bench.client.SyntheticImage;
import java.util.List;
import java.util.Locale;

/**
 * What every phase works with: the images pushed in the first phase (the same random content for both registries,
 * new for every run) and how many requests to keep in flight.
 */
public record Workload(List<SyntheticImage> images, int layers, int layerSize, int concurrency, long seed) {

    public Workload {
        images = List.copyOf(images);
    }

    public SyntheticImage image(int index) {
        return images.get(index);
    }

    /** "1 MiB", "512 KiB", "1.5 GiB": sizes as the titles show them. */
    public static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        String number = value == Math.rint(value) ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.1f", value);
        return number + " " + units[unit];
    }
}
