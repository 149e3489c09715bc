package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTest {
    static final RouteTable TABLE = Routes.table(new ListingRoutes(null, null),
            new ManifestRoutes(null, 1024, null), new BlobRoutes(null), new UploadRoutes(null, null), null,
            new GcAdmin(null), new LifecycleAdmin(null, null), new EventsAdmin(null),
            new ManagementRoutes(null, null), new UiRoutes(null, null, null), new HealthRoutes(null, null));

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "GET,    /v2,                               /v2,                                  -",
        "GET,    /v2/,                              /v2/,                                 -",
        "GET,    /v2/_catalog,                      /v2/_catalog,                         -",
        "GET,    /v2/a/tags/list,                   /v2/{name}/tags/list,                 a",
        "GET,    /v2/team/app/manifests/latest,     /v2/{name}/manifests/{reference},     team/app latest",
        "PUT,    /v2/team/app/manifests/sha256:ab,  /v2/{name}/manifests/{reference},     team/app sha256:ab",
        "GET,    /v2/a/blobs/sha256:ab,             /v2/{name}/blobs/{digest},            a sha256:ab",
        "POST,   /v2/a/b/blobs/uploads/,            /v2/{name}/blobs/uploads/,            a/b",
        "POST,   /v2/a/b/blobs/uploads,             /v2/{name}/blobs/uploads,             a/b",
        "PATCH,  /v2/a/b/blobs/uploads/1234-abcd,   /v2/{name}/blobs/uploads/{id},        a/b 1234-abcd",
        "GET,    /v2/a/referrers/sha256:ab,         /v2/{name}/referrers/{digest},        a sha256:ab",
        "POST,   /admin/notifications/hook/replay,  /admin/notifications/{endpoint}/replay, hook",
        // names that contain the endpoint words are still names
        "GET,    /v2/blobs/manifests/manifests/v1,  /v2/{name}/manifests/{reference},     blobs/manifests v1",
        "POST,   /v2/x/blobs/blobs/uploads/,        /v2/{name}/blobs/uploads/,            x/blobs",
        "GET,    /v2/tags/list/tags/list,           /v2/{name}/tags/list,                 tags/list",
        "GET,    /v2/uploads/blobs/sha256:ab,       /v2/{name}/blobs/{digest},            uploads sha256:ab",
        // nothing to route
        "GET,    /v2/manifests/latest,              -,                                    -",
        "GET,    /v2/a/manifests/,                  -,                                    -",
        "GET,    /v2/a/blobs/,                      -,                                    -",
        "POST,   /v2/blobs/uploads/,                -,                                    -",
        "GET,    /v2/a/tags/other,                  -,                                    -",
        "GET,    /v2/a/unknown/x,                   -,                                    -",
        "GET,    /v3/a/manifests/latest,            -,                                    -",
        "GET,    /v2/_catalog/x,                    -,                                    -",
        "POST,   /admin/notifications/a/b/replay,   -,                                    -",
        "GET,    /,                                 -,                                    -"
    })
    void findsTheRouteAndItsParametersFromBothEndsOfThePath(String method, String path, String pattern,
                                                            String values) {
        RouteTable.Match match = TABLE.find(method, path);
        if (pattern == null) {
            assertThat(match).isNull();
            return;
        }
        assertThat(match.route()).isNotNull();
        assertThat(match.path().text()).isEqualTo(pattern);
        assertThat(Arrays.asList(match.values())).isEqualTo(values == null ? List.of() : List.of(values.split(" ")));
    }

    @Test
    void aPathWithoutTheMethodListsTheMethodsItHasAndNeedsWhatItsFirstRouteNeeds() {
        RouteTable.Match match = TABLE.find("POST", "/v2/a/manifests/latest");
        assertThat(match.route()).isNull();
        assertThat(match.methods()).containsExactly("GET", "HEAD", "PUT", "DELETE");
        assertThat(match.need()).isEqualTo(Access.PULL.need("a"));
        assertThat(TABLE.find("GET", "/v2/a/blobs/uploads").methods()).containsExactly("POST");
    }

    @Test
    void eachRouteNeedsTheAccessOfItsMethod() {
        assertThat(TABLE.find("PUT", "/v2/a/manifests/x").need()).isEqualTo(Access.PUSH.need("a"));
        assertThat(TABLE.find("DELETE", "/v2/a/b/blobs/sha256:ab").need()).isEqualTo(Access.DELETE.need("a/b"));
        assertThat(TABLE.find("GET", "/v2/a/blobs/uploads/x").need()).isEqualTo(Access.PUSH.need("a"));
        assertThat(TABLE.find("GET", "/admin/events").need()).isEqualTo(Gate.Need.ADMIN);
        assertThat(TABLE.find("POST", "/token").route().access()).isEqualTo(Access.PUBLIC);
    }

    @Test
    void aMethodIsRoutedOnceOnAPath() {
        assertThatThrownBy(() -> RouteTable.builder().add("GET", "/a", Access.PULL, exchange -> { })
                .add("GET HEAD", "/a", Access.PULL, exchange -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GET /a");
    }
}
