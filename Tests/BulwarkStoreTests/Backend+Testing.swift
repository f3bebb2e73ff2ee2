public import BulwarkTestSupport
public import Testing

extension Backend: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
