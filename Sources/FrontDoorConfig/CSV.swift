/// A minimal RFC 4180 reader: comma-separated, fields optionally double-quoted, `""` for a
/// quote inside a quoted field, CRLF or LF line ends. Enough for `Config/*.csv`.
enum CSV {
    struct Record: Equatable {
        /// 1-based line on which the record starts.
        var line: Int
        var fields: [String]
    }

    struct SyntaxError: Error, Equatable {
        var line: Int
        var message: String
    }

    /// Parses `text` into records, skipping blank lines.
    static func parse(_ text: String) throws(SyntaxError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var recordLine = 1
        var chars = Array(text.unicodeScalars)[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }  // byte-order mark

        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            fieldWasQuoted = false
        }

        var i = chars.startIndex
        while i < chars.endIndex {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    let next = chars.index(after: i)
                    if next < chars.endIndex, chars[next] == "\"" {
                        field.unicodeScalars.append("\"")
                        i = next
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case ",":
                    fields.append(field)
                    field = ""
                    fieldWasQuoted = false
                case "\"":
                    guard field.isEmpty else {
                        throw SyntaxError(line: line, message: "a quote inside an unquoted field")
                    }
                    inQuotes = true
                    fieldWasQuoted = true
                case "\r":
                    break
                case "\n":
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    if fieldWasQuoted {
                        throw SyntaxError(line: line, message: "text after the closing quote of a field")
                    }
                    field.unicodeScalars.append(c)
                }
            }
            i = chars.index(after: i)
        }
        if inQuotes { throw SyntaxError(line: recordLine, message: "a quoted field is not closed") }
        endRecord()
        return records
    }
}
