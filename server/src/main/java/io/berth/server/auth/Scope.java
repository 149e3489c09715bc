package io.berth.server.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One entry of distribution's scope grammar ({@code docs/spec/auth/scope.md}): {@code type:name:action,action},
 * e.g. {@code repository:team/app:pull,push} or {@code registry:catalog:*}. The resource class of
 * {@code repository(plugin):...} is kept in the type. Names may hold colons (a host with a port), so the type ends
 * at the first colon and the actions start after the last.
 */
public record Scope(String type, String name, Set<String> actions) {

    public static final String REPOSITORY = "repository";

    public Scope {
        actions = Set.copyOf(actions);
    }

    public static Scope repository(String name, String... actions) {
        return new Scope(REPOSITORY, name, new LinkedHashSet<>(List.of(actions)));
    }

    public static Scope catalog() {
        return new Scope("registry", "catalog", Set.of("*"));
    }

    /** Parses one scope; null when it does not follow the grammar. */
    public static Scope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last == first || last == text.length() - 1) {
            return null;
        }
        Set<String> actions = new LinkedHashSet<>();
        for (String action : text.substring(last + 1).split(",")) {
            if (!action.isEmpty()) {
                actions.add(action);
            }
        }
        String name = text.substring(first + 1, last);
        return name.isEmpty() ? null : new Scope(text.substring(0, first), name, actions);
    }

    /** Parses the scopes of each value, where one value may hold several separated by spaces; bad ones are dropped. */
    public static List<Scope> parseAll(List<String> values) {
        List<Scope> scopes = new ArrayList<>();
        if (values == null) {
            return scopes;
        }
        for (String value : values) {
            for (String part : value.trim().split("\\s+")) {
                Scope scope = part.isEmpty() ? null : parse(part);
                if (scope != null) {
                    scopes.add(scope);
                }
            }
        }
        return scopes;
    }

    public boolean isRepository() {
        return type.equals(REPOSITORY) || type.startsWith(REPOSITORY + "(");
    }

    public boolean allows(String action) {
        return actions.contains(action) || actions.contains("*");
    }

    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions.stream().sorted(Scope::byActionOrder).toList());
    }

    /** pull before push before delete, as clients write them. */
    private static int byActionOrder(String a, String b) {
        List<String> order = List.of("pull", "push", "delete", "admin", "*");
        int ia = order.indexOf(a);
        int ib = order.indexOf(b);
        return ia != ib ? Integer.compare(ia < 0 ? 99 : ia, ib < 0 ? 99 : ib) : a.compareTo(b);
    }
}
