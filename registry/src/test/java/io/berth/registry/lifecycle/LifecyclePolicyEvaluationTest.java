package io.berth.registry.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import io.berth.registry.metadata.Image;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Evaluation as ECR documents it, on the repositories and policies of ECR's own examples ("Examples of lifecycle
 * policies in Amazon ECR"), plus Berth's sinceImagePulled. "Now" is fixed, so ages are exact.
 */
class LifecyclePolicyEvaluationTest {
    private static final Instant NOW = Instant.parse("2025-06-30T12:00:00Z");

    /** An image named {@code name} (its digest is derived from it), pushed {@code daysAgo} days before now. */
    private static Image image(String name, double daysAgo, String... tags) {
        return pulled(name, daysAgo, null, tags);
    }

    private static Image pulled(String name, double daysAgo, Double pulledDaysAgo, String... tags) {
        return new Image(Digest.sha256(name.getBytes(StandardCharsets.UTF_8)), Arrays.asList(tags).stream().sorted()
                .toList(), ago(daysAgo), pulledDaysAgo == null ? null : ago(pulledDaysAgo));
    }

    private static Instant ago(double days) {
        return NOW.minus(Duration.ofMinutes(Math.round(days * 24 * 60)));
    }

    private static List<Image> expired(String policy, Image... images) {
        return LifecyclePolicy.parse(policy).evaluate(List.of(images), NOW).stream().map(Expiry::image).toList();
    }

    private static String rule(int priority, String selection) {
        return "{\"rulePriority\":" + priority + ",\"description\":\"Rule " + priority + "\",\"selection\":{"
                + selection + "},\"action\":{\"type\":\"expire\"}}";
    }

    private static String policy(String... rules) {
        return "{\"rules\":[" + String.join(",", rules) + "]}";
    }

    @Test
    void filteringOnImageAgeExpiresProdImagesOlderThan14Days() {
        Image old = image("old", 15, "prod-1");
        Image young = image("young", 13, "prod-2");
        Image otherOld = image("other", 30, "dev-1");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"prod*\"],"
                + "\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":14")), old, young, otherOld))
                .containsExactly(old);
    }

    @Test
    void filteringOnImageCountKeepsOneUntaggedImage() {
        Image oldest = image("a", 3);
        Image middle = image("b", 2);
        Image newest = image("c", 1);
        Image tagged = image("d", 9, "v1");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\","
                + "\"countNumber\":1")), oldest, middle, newest, tagged))
                .containsExactly(oldest, middle);
    }

    private static final Image A = image("A", 10, "beta-1", "prod-1");
    private static final Image B = image("B", 9, "beta-2", "prod-2");
    private static final Image C = image("C", 8, "beta-3");

    @Test
    void multipleRulesExampleAAHigherRuleProtectsWhatItSelectsWithoutExpiring() {
        String prod = rule(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"prod\"],\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1");
        String beta = rule(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"beta\"],\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1");

        // Rule 2 would mark A and B; A is rule 1's, and B was seen by rule 1 (kept by it): only A goes.
        assertThat(expired(policy(prod, beta), A, B, C)).containsExactly(A);
    }

    @Test
    void multipleRulesExampleBTheSameRulesInTheOtherOrder() {
        String beta = rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"beta*\"],\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1");
        String prod = rule(2, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"prod*\"],\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1");

        assertThat(expired(policy(beta, prod), A, B, C)).containsExactly(A, B);
    }

    @Test
    void multipleTagsInOneRuleExampleAAnImageMustMatchEveryPattern() {
        Image a = image("a", 12, "alpha-1");
        Image b = image("b", 11, "beta-1");
        Image c = image("c", 10, "alpha-2", "beta-2");
        Image d = image("d", 4, "alpha-3");
        Image e = image("e", 3, "beta-3");
        Image f = image("f", 2, "alpha-4", "beta-4");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"alpha*\",\"beta*\"],"
                + "\"countType\":\"sinceImagePushed\",\"countNumber\":5,\"countUnit\":\"days\"")), a, b, c, d, e, f))
                .containsExactly(c);
    }

    @Test
    void multipleTagsInOneRuleExampleBTagsAreNotExclusive() {
        Image a = image("a", 10, "alpha-1", "beta-1", "gamma-1");
        Image b = image("b", 9, "alpha-2", "beta-2");
        Image c = image("c", 8, "alpha-3", "beta-3", "gamma-2");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"alpha*\",\"beta*\"],"
                + "\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), a, b, c))
                .containsExactly(a, b);
    }

    @Test
    void severalPrefixesLikewiseMustAllMatch() {
        Image both = image("both", 10, "prod-1", "release-1");
        Image prodOnly = image("prod", 10, "prod-2");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"prod\",\"release\"],"
                + "\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":1")), both, prodOnly))
                .containsExactly(both);
    }

    @Test
    void allImagesExampleAKeepsOnlyTheNewestImage() {
        Image a = image("a", 4, "alpha-1");
        Image b = image("b", 3, "beta-1");
        Image c = image("c", 2);
        Image d = image("d", 1, "alpha-2");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
                + "\"countNumber\":1")), a, b, c, d))
                .containsExactly(a, b, c);
    }

    @Test
    void allImagesExampleBCombinesEveryRuleTypeWithAnyLast() {
        Image a = image("a", 4, "alpha-1", "beta-1");
        Image b = image("b", 3);
        Image c = image("c", 2, "alpha-2");
        Image d = image("d", 1.01, "git hash");
        Image e = image("e", 1); // pushed just after D, "1 day ago" too; not older than one day

        List<Expiry> expiries = LifecyclePolicy.parse(policy(
                rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"alpha*\"],\"countType\":\"imageCountMoreThan\","
                        + "\"countNumber\":1"),
                rule(2, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\","
                        + "\"countNumber\":1"),
                rule(3, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")))
                .evaluate(List.of(a, b, c, d, e), NOW);

        // Rule 3 counts all five and keeps the newest (E), but may only mark D: A, B, C and E are earlier rules'.
        assertThat(expiries).extracting(Expiry::image).containsExactly(a, b, d);
        assertThat(expiries).extracting(expiry -> expiry.rule().priority()).containsExactly(1, 2, 3);
        assertThat(expiries).extracting(Expiry::reason).containsExactly("more than 1 image: 2nd newest",
                "pushed 3 days ago (more than 1)", "more than 1 image: 2nd newest");
    }

    @Test
    void sinceImagePulledCountsFromTheLastPullOrFromThePushWhenNeverPulled() {
        Image pulledLately = pulled("lately", 100, 2.0, "v1");
        Image pulledLongAgo = pulled("long-ago", 100, 45.0, "v2");
        Image neverPulledOld = image("never-old", 40, "v3");
        Image neverPulledNew = image("never-new", 5, "v4");

        List<Expiry> expiries = LifecyclePolicy.parse(policy(rule(1, "\"tagStatus\":\"any\",\"countType\":"
                + "\"sinceImagePulled\",\"countUnit\":\"days\",\"countNumber\":30")))
                .evaluate(List.of(pulledLately, pulledLongAgo, neverPulledOld, neverPulledNew), NOW);

        assertThat(expiries).extracting(Expiry::image).containsExactly(pulledLongAgo, neverPulledOld);
        assertThat(expiries).extracting(Expiry::reason).containsExactly("last pulled 45 days ago (more than 30)",
                "never pulled, pushed 40 days ago (more than 30)");
    }

    @Test
    void anImageExactlyAsOldAsTheLimitIsKept() {
        Image exactly = image("exactly", 14);
        Image older = image("older", 14.001);

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\","
                + "\"countUnit\":\"days\",\"countNumber\":14")), exactly, older)).containsExactly(older);
    }

    @Test
    void untaggedRulesNeverTouchTaggedImagesAndTaggedRulesNeverUntaggedOnes() {
        Image untagged = image("untagged", 50);
        Image tagged = image("tagged", 50, "v1");

        assertThat(expired(policy(rule(1, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\","
                + "\"countUnit\":\"days\",\"countNumber\":1")), untagged, tagged)).containsExactly(untagged);
        assertThat(expired(policy(rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"*\"],\"countType\":"
                + "\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":1")), untagged, tagged))
                .containsExactly(tagged);
    }

    @Test
    void aReleaseRuleProtectsReleasesFromACatchAllAnyRule() {
        Image release = image("release", 300, "v1.0.0");
        Image build = image("build", 300, "build-17");
        Image fresh = image("fresh", 1, "build-18");

        assertThat(expired(policy(
                rule(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"v*.*.*\"],\"countType\":"
                        + "\"imageCountMoreThan\",\"countNumber\":100"),
                rule(2, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\","
                        + "\"countNumber\":30")), release, build, fresh))
                .containsExactly(build);
    }

    @Test
    void patternsMatchWholeTagsWithWildcardsAnywhere() {
        TagPattern pattern = new TagPattern("*-rc*");
        assertThat(pattern.matches("1.0-rc1")).isTrue();
        assertThat(pattern.matches("-rc")).isTrue();
        assertThat(pattern.matches("1.0-rc")).isTrue();
        assertThat(pattern.matches("1.0-r")).isFalse();
        assertThat(new TagPattern("prod").matches("prod")).isTrue();
        assertThat(new TagPattern("prod").matches("prod1")).isFalse();
        assertThat(new TagPattern("*").matches("anything")).isTrue();
        assertThat(new TagPattern("a*b*c").matches("abc")).isTrue();
        assertThat(new TagPattern("a*b*c").matches("acb")).isFalse();
    }
}
