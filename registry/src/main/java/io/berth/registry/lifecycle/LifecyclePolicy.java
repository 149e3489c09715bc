package io.berth.registry.lifecycle;

import io.berth.oci.Digest;
import io.berth.registry.metadata.Image;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An Amazon ECR lifecycle policy: its rules, by ascending {@code rulePriority}, and ECR's evaluation of them.
 *
 * <p>ECR's evaluation rules, which {@link #evaluate} follows: rules apply in priority order; an image is expired by
 * one rule or none; an image a rule selects by its tags cannot be expired by a rule of lower priority (a higher
 * one claims it, whether or not it expires it), but that lower rule still counts it ("rules can never mark images
 * that are marked by higher priority rules, but can still identify them as if they haven't been expired"); images
 * are ordered by push time and older ones go first.
 */
public record LifecyclePolicy(List<Rule> rules) {
    /** Newest first; the digest breaks ties in push time, so a count always keeps the same images. */
    private static final Comparator<Image> NEWEST_FIRST = Comparator.comparing(Image::pushedAt).reversed()
            .thenComparing(image -> image.digest().toString());

    public LifecyclePolicy {
        rules = List.copyOf(rules);
    }

    /**
     * Parses and validates the JSON text of an ECR lifecycle policy.
     *
     * @throws InvalidPolicyException naming the rule and field at fault
     */
    public static LifecyclePolicy parse(String json) {
        return PolicyParser.parse(json);
    }

    /** The images of a repository the policy expires at {@code now}, by rule priority and then oldest first. */
    public List<Expiry> evaluate(List<Image> images, Instant now) {
        List<Image> newestFirst = images.stream().sorted(NEWEST_FIRST).toList();
        Set<Digest> claimed = new HashSet<>();
        List<Expiry> expired = new ArrayList<>();
        for (Rule rule : rules) {
            List<Image> selected = newestFirst.stream().filter(rule::selects).toList();
            List<Expiry> marked = new ArrayList<>();
            for (int i = 0; i < selected.size(); i++) {
                Image image = selected.get(i);
                String reason = reason(rule, image, i, now);
                if (reason != null && !claimed.contains(image.digest())) {
                    marked.add(new Expiry(image, rule, reason));
                }
            }
            expired.addAll(marked.reversed());
            selected.forEach(image -> claimed.add(image.digest()));
        }
        return expired;
    }

    /** Why the rule expires the image, the {@code position}-th (from 0) newest it selects; null when it does not. */
    private static String reason(Rule rule, Image image, int position, Instant now) {
        int n = rule.countNumber();
        return switch (rule.countType()) {
            case IMAGE_COUNT_MORE_THAN -> position < n ? null
                    : "more than " + n + (n == 1 ? " image" : " images") + ": " + ordinal(position + 1) + " newest";
            case SINCE_IMAGE_PUSHED -> olderThan(image.pushedAt(), n, now)
                    ? "pushed " + days(image.pushedAt(), now) + " days ago (more than " + n + ")" : null;
            case SINCE_IMAGE_PULLED -> {
                Instant last = image.lastPulledAt() != null ? image.lastPulledAt() : image.pushedAt();
                if (!olderThan(last, n, now)) {
                    yield null;
                }
                yield image.lastPulledAt() != null
                        ? "last pulled " + days(last, now) + " days ago (more than " + n + ")"
                        : "never pulled, pushed " + days(last, now) + " days ago (more than " + n + ")";
            }
        };
    }

    private static boolean olderThan(Instant time, int days, Instant now) {
        return time.isBefore(now.minus(Duration.ofDays(days)));
    }

    private static long days(Instant time, Instant now) {
        return Duration.between(time, now).toDays();
    }

    private static String ordinal(int n) {
        int lastTwo = n % 100;
        String suffix = lastTwo >= 11 && lastTwo <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }
}
