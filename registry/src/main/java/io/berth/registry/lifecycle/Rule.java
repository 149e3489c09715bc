package io.berth.registry.lifecycle;

import io.berth.registry.metadata.Image;
import java.util.List;

/**
 * One rule of a lifecycle policy, as ECR defines it: which images it selects ({@code tagStatus} and a prefix or
 * pattern list) and when a selected image expires ({@code countType} and {@code countNumber}; ages are in days).
 *
 * @param description empty when the rule has none
 * @param tagPrefixes for {@code tagged} rules given a {@code tagPrefixList}, otherwise empty
 * @param tagPatterns for {@code tagged} rules given a {@code tagPatternList}, otherwise empty
 */
public record Rule(int priority, String description, TagStatus tagStatus, List<String> tagPrefixes,
                   List<String> tagPatterns, CountType countType, int countNumber) {

    public enum TagStatus {
        TAGGED("tagged"), UNTAGGED("untagged"), ANY("any");

        private final String json;

        TagStatus(String json) {
            this.json = json;
        }

        /** The name in policy JSON. */
        public String json() {
            return json;
        }
    }

    public enum CountType {
        /** Keep the newest {@code countNumber} selected images (by push time), expire the rest. */
        IMAGE_COUNT_MORE_THAN("imageCountMoreThan"),
        /** Expire selected images pushed more than {@code countNumber} days ago. */
        SINCE_IMAGE_PUSHED("sinceImagePushed"),
        /**
         * Expire selected images last pulled more than {@code countNumber} days ago; an image never pulled counts
         * from its push. (ECR has it for archiving only; Berth expires with it.)
         */
        SINCE_IMAGE_PULLED("sinceImagePulled");

        private final String json;

        CountType(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    public Rule {
        tagPrefixes = List.copyOf(tagPrefixes);
        tagPatterns = List.copyOf(tagPatterns);
    }

    /**
     * Whether the rule selects the image by its tags. With several prefixes or patterns an image is selected only
     * when every one of them matches one of its tags (ECR: "only the images with all specified tags are selected").
     */
    public boolean selects(Image image) {
        return switch (tagStatus) {
            case ANY -> true;
            case UNTAGGED -> image.tags().isEmpty();
            case TAGGED -> !image.tags().isEmpty()
                    && tagPrefixes.stream().allMatch(prefix -> image.tags().stream().anyMatch(t -> t.startsWith(prefix)))
                    && tagPatterns.stream().map(TagPattern::new)
                            .allMatch(pattern -> image.tags().stream().anyMatch(pattern::matches));
        };
    }
}
