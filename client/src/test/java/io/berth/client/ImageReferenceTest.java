package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import org.junit.jupiter.api.Test;

/** References are read the way docker, skopeo and oras read them. */
class ImageReferenceTest {
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void aRegistryIsTheFirstPartWhenItHasADotAColonOrIsLocalhost() {
        assertThat(ImageReference.parse("127.0.0.1:5000/team/app:1.0"))
                .isEqualTo(new ImageReference("127.0.0.1:5000", "team/app", "1.0", null));
        assertThat(ImageReference.parse("registry.example.com/app")).extracting(ImageReference::registry)
                .isEqualTo("registry.example.com");
        assertThat(ImageReference.parse("localhost/app").registry()).isEqualTo("localhost");
    }

    @Test
    void anythingElseIsOnDockerHubWhereOnePartNamesLiveUnderLibrary() {
        assertThat(ImageReference.parse("alpine")).isEqualTo(new ImageReference("docker.io", "library/alpine", null,
                null));
        assertThat(ImageReference.parse("team/app:2")).isEqualTo(new ImageReference("docker.io", "team/app", "2",
                null));
    }

    @Test
    void aDigestAndATagMayBothBeGivenAndTheDigestIsWhatIsAskedFor() {
        ImageReference reference = ImageReference.parse("localhost:5000/app:1.0@" + DIGEST);

        assertThat(reference.tag()).isEqualTo("1.0");
        assertThat(reference.digest()).isEqualTo(Digest.parse(DIGEST));
        assertThat(reference.reference()).isEqualTo(DIGEST);
        assertThat(reference).hasToString("localhost:5000/app:1.0@" + DIGEST);
    }

    @Test
    void withNeitherTagNorDigestTheManifestAskedForIsLatest() {
        ImageReference reference = ImageReference.parse("localhost:5000/app");

        assertThat(reference.tag()).isNull();
        assertThat(reference.reference()).isEqualTo("latest");
        assertThat(reference.orLatest().tag()).isEqualTo("latest");
    }

    @Test
    void aPortIsNotATag() {
        assertThat(ImageReference.parse("localhost:5000/app").tag()).isNull();
    }

    @Test
    void invalidNamesTagsAndDigestsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/App")).hasMessageContaining("repository");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/app:-bad")).hasMessageContaining("tag");
        assertThatThrownBy(() -> ImageReference.parse("localhost:5000/app@sha256:12"))
                .hasMessageContaining("digest");
    }
}
