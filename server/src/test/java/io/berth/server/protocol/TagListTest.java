package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient.PushedImage;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Distribution spec, "Content Discovery: Listing Tags", with {@code n}, {@code last} and {@code Link}. */
class TagListTest extends PerBackendRegistryTest {
    /** In lexical order; pushed shuffled. Plain lower case, so case-insensitive and byte order agree. */
    private static final List<String> TAGS = List.of(
            "0.9", "1.0", "1.0.1", "1.10", "1.2", "alpha", "beta", "latest", "v1", "v1-rc", "v1_0", "zeta");

    private String repository;

    @BeforeEach
    void pushTags() {
        repository = uniqueRepository("tags");
        PushedImage image = client.pushImage(repository, TAGS.getFirst());
        List<String> shuffled = new ArrayList<>(TAGS.subList(1, TAGS.size()));
        Collections.shuffle(shuffled);
        for (String tag : shuffled) {
            client.pushManifest(repository, tag, OCI_MANIFEST, image.manifest());
        }
    }

    @Test
    void listsEveryTagInLexicalOrderUnderTheRepositoryName() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("name").asString()).isEqualTo(repository);
        assertThat(Pagination.collect(List.of(response), "tags")).containsExactlyElementsOf(TAGS);
        assertThat(Pagination.next(response)).isEmpty();
    }

    @Test
    void nLimitsThePageAndLinkPointsToTheNextOne() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list?n=5");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Pagination.collect(List.of(response), "tags")).containsExactlyElementsOf(TAGS.subList(0, 5));
        assertThat(Pagination.next(response)).hasValueSatisfying(next -> {
            assertThat(next).startsWith("/v2/" + repository + "/tags/list?");
            assertThat(next).contains("n=5").contains("last=" + TAGS.get(4));
        });
        assertThat(response.headers().firstValue("Link").orElseThrow()).endsWith("rel=\"next\"");
    }

    @Test
    void followingLinkHeadersYieldsEveryTagExactlyOnceInOrder() {
        List<HttpResponse<byte[]>> pages = Pagination.pages(client, "/v2/" + repository + "/tags/list?n=5");

        assertThat(pages).hasSize(3);
        assertThat(Pagination.collect(pages, "tags")).containsExactlyElementsOf(TAGS);
        assertThat(Pagination.next(pages.getLast())).isEmpty();
    }

    @Test
    void lastStartsAfterTheGivenTag() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list?n=3&last=" + encode("1.2"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Pagination.collect(List.of(response), "tags")).containsExactly("alpha", "beta", "latest");
    }

    @Test
    void lastWithoutNListsEverythingAfterIt() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list?last=latest");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Pagination.collect(List.of(response), "tags")).containsExactlyElementsOf(TAGS.subList(8, TAGS.size()));
    }

    @Test
    void nOfZeroAnswersAnEmptyListWithoutLink() {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list?n=0");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("tags")).isEmpty();
        assertThat(response.headers().firstValue("Link")).isEmpty();
    }

    @Test
    void nCoveringTheRestAnswersWithoutLink() {
        HttpResponse<byte[]> exact = client.get("/v2/" + repository + "/tags/list?n=" + TAGS.size());
        HttpResponse<byte[]> larger = client.get("/v2/" + repository + "/tags/list?n=1000");

        assertThat(Pagination.collect(List.of(exact), "tags")).containsExactlyElementsOf(TAGS);
        assertThat(Pagination.collect(List.of(larger), "tags")).containsExactlyElementsOf(TAGS);
        assertThat(Pagination.next(larger)).isEmpty();
    }

    @Test
    void deletedTagIsNoLongerListed() {
        assertThat(client.delete("/v2/" + repository + "/manifests/beta").statusCode()).isEqualTo(202);

        HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list");

        List<String> expected = new ArrayList<>(TAGS);
        expected.remove("beta");
        assertThat(Pagination.collect(List.of(response), "tags")).containsExactlyElementsOf(expected);
    }

    @Test
    void unknownRepositoryAnswers404NameUnknown() {
        assertError(client.get("/v2/" + uniqueRepository("never-pushed") + "/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void invalidNIsRefusedWithoutAServerError() {
        for (String n : List.of("-1", "abc", "99999999999999999999")) {
            HttpResponse<byte[]> response = client.get("/v2/" + repository + "/tags/list?n=" + n);
            assertThat(response.statusCode()).as("n=%s: %s", n, body(response)).isBetween(200, 499);
            if (response.statusCode() >= 400) {
                RegistryClient.assertErrorBody(response);
            }
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
