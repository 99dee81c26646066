public import Foundation

/// Decodes webhook bodies from Meta with one shared `JSONDecoder` (no key strategy: the models map
/// snake_case themselves). Errors are `DecodingError`s; they name the coding path, never the body.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview)
public enum WebhookDecoding {
    private static let decoder = JSONDecoder()

    /// Decodes a webhook body. Throws on malformed JSON or a missing required field
    /// (e.g. a message without `id`); unknown fields and message types are ignored or kept as `unknown`.
    public static func decode(_ data: Data) throws -> WebhookPayload {
        try decoder.decode(WebhookPayload.self, from: data)
    }
}
