/// Metadata keys the workers' log lines share, so that one event's lines can be found together.
///
/// Log lines never carry personal data: no UPN, name, date of birth or free text (`details`,
/// reasons); a pupil appears only as a ``Pseudonymiser`` pseudonym and an event by its id.
public enum LogKeys {
    /// The CloudEvents `id` of the event a line is about: the correlation id. For a notification
    /// it is the notification's own id (the `id` of the event the relay publishes).
    public static let eventID = "eventId"
    /// A rejected value's `id` longer than this is left out of the logs (it is not an id).
    public static let maximumEventIDLength = 128
}
