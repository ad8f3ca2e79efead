//! How figures read: quantities with no more precision than they have,
//! thousands separated, money to the cent.

/// Formats a quantity for the basis column: no more precision than it has.
pub fn qty(quantity: f64) -> String {
    if quantity >= 1e6 {
        format!("{:.1} M", quantity / 1e6)
    } else if quantity >= 1000.0 {
        thousands(quantity.round() as u64)
    } else if quantity >= 100.0 || quantity == quantity.round() {
        format!("{quantity:.0}")
    } else if quantity >= 1.0 {
        format!("{quantity:.1}")
    } else if quantity >= 0.01 {
        format!("{quantity:.2}")
    } else if quantity >= 0.0001 {
        format!("{quantity:.4}")
    } else if quantity > 0.0 {
        "~0".into()
    } else {
        "0".into()
    }
}

/// A whole number with its thousands separated by commas.
pub fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// USD to the cent.
pub fn money(usd: f64) -> String {
    format!("{usd:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_naturally() {
        for (number, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(number), text);
        }
        for (quantity, text) in [
            (4_000_000.0, "4.0 M"),
            (12.0, "12"),
            (1.62, "1.6"),
            (0.126, "0.13"),
            (0.0, "0"),
        ] {
            assert_eq!(qty(quantity), text);
        }
    }
}
