package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAPI document served at {@code /api/v1/openapi.json} describes the route table, no more and no less. */
class OpenApiDocumentTest {
    private static final JsonNode DOCUMENT = JsonMapper.builder().build()
            .readTree(ManagementRoutes.openApiDocument());

    @Test
    void everyRouteOfTheTableIsInTheDocumentAndTheOtherWayRound() {
        Set<String> routes = new TreeSet<>();
        RouteTest.TABLE.routes().forEach(route -> routes.add(route.method() + " " + route.path().text()));
        Set<String> documented = new TreeSet<>();
        DOCUMENT.path("paths").properties().forEach(path -> path.getValue().propertyNames()
                .forEach(method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));

        assertThat(documented).isEqualTo(routes);
    }

    @Test
    void eachOperationNamesTheAccessItsRouteNeeds() {
        for (RouteTable.Route route : RouteTest.TABLE.routes()) {
            JsonNode operation = DOCUMENT.path("paths").path(route.path().text())
                    .path(route.method().toLowerCase(Locale.ROOT));
            assertThat(operation.path("x-berth-access").asString())
                    .as("%s %s", route.method(), route.path().text())
                    .isEqualTo(route.access().name().toLowerCase(Locale.ROOT));
        }
    }

    @Test
    void itIsAnOpenApi31DocumentWhosePathParametersAreDeclared() {
        assertThat(DOCUMENT.path("openapi").asString()).isEqualTo("3.1.0");
        for (RouteTable.Route route : RouteTest.TABLE.routes()) {
            JsonNode operation = DOCUMENT.path("paths").path(route.path().text())
                    .path(route.method().toLowerCase(Locale.ROOT));
            Set<String> declared = new TreeSet<>();
            operation.path("parameters").forEach(parameter -> {
                if (parameter.path("in").asString().equals("path")) {
                    declared.add(parameter.path("name").asString());
                }
            });
            assertThat(declared).as("%s %s", route.method(), route.path().text())
                    .isEqualTo(new TreeSet<>(route.path().parameters()));
        }
    }
}
