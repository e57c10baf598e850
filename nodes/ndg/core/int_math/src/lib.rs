//! Arithmetic on two integers: what `.ndg` arithmetic becomes when every operand is an integer
//! (`+ - * // %`). `//` rounds down and `%` takes the divisor's sign, as Python's do, so that
//! `a == (a // b) * b + a % b`. Results wrap at 32 bits and dividing by 0 gives 0; the compiler
//! bounds every result over its operands' ranges and refuses one that can leave 32 bits.

pub fn execute(op_type: i32, a: i32, b: i32) -> i32 {
    match op_type {
        0 => a.wrapping_add(b),
        1 => a.wrapping_sub(b),
        2 => a.wrapping_mul(b),
        3 => floor_divide(a, b),
        4 => modulo(a, b),
        _ => 0,
    }
}

fn floor_divide(a: i32, b: i32) -> i32 {
    if b == 0 {
        return 0;
    }
    let quotient = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        quotient - 1
    } else {
        quotient
    }
}

fn modulo(a: i32, b: i32) -> i32 {
    if b == 0 {
        return 0;
    }
    let remainder = a.wrapping_rem(b);
    if remainder != 0 && ((remainder < 0) != (b < 0)) {
        remainder + b
    } else {
        remainder
    }
}

#[cfg(test)]
mod tests {
    use super::execute;

    #[test]
    fn operations_round_down_like_python() {
        assert_eq!(execute(0, 7, 2), 9);
        assert_eq!(execute(1, 7, 2), 5);
        assert_eq!(execute(2, 7, -2), -14);
        assert_eq!(execute(3, 7, 2), 3);
        assert_eq!(execute(3, -7, 2), -4);
        assert_eq!(execute(3, 7, -2), -4);
        assert_eq!(execute(4, -7, 3), 2);
        assert_eq!(execute(4, 7, -3), -2);
        assert_eq!(execute(3, 5, 0), 0);
        assert_eq!(execute(4, 5, 0), 0);
        assert_eq!(execute(3, i32::MIN, -1), i32::MIN);
        assert_eq!(execute(9, 1, 1), 0);
    }
}
