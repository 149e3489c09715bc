package io.berth.bench.phase;

import io.berth.bench.client.SyntheticImage;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.PhaseResult;
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

    /** Does {@code work} once for every image at the workload's concurrency: one operation per image. */
    public PhaseResult perImage(String title, ImageWork work) {
        Outcome outcome = ClosedLoop.times(images.size(), concurrency, index -> work.run(image(index)));
        return PhaseResult.of(title, outcome, "images", true);
    }

    /** What a phase does with one image; returns the bytes it moved. */
    @FunctionalInterface
    public interface ImageWork {
        long run(SyntheticImage image) throws Exception;
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
