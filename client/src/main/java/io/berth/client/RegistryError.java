package io.berth.client;

/**
 * One entry of a registry's error body {@code {"errors":[{"code","message","detail"}]}}.
 *
 * @param detail the {@code detail} value as JSON text; null when absent
 */
public record RegistryError(String code, String message, String detail) {
}
