//! Array values: a flat list of elements plus the shape PostgreSQL gives them.
//!
//! PostgreSQL arrays have up to [`MAX_DIMS`] dimensions, each with its own lower bound
//! and length; the elements are stored in row-major order (the last subscript varies
//! fastest). An empty array has no dimensions at all.
//!
//! ```text
//!   '[0:1][1:3]={{1,2,3},{4,5,6}}'
//!   elements = [1, 2, 3, 4, 5, 6]
//!   dims     = Some([ {lower: 0, len: 2}, {lower: 1, len: 3} ])
//! ```
//!
//! Nearly every array is one-dimensional with lower bound 1, so that shape is not
//! stored: `dims == None` means "one dimension from 1 holding every element" (or no
//! dimension when there are no elements). [`Array::with_dims`] keeps the invariant that
//! `Some` never spells the default shape, so two equal arrays have equal fields and the
//! derived `PartialEq` is PostgreSQL's array equality on the stored values.

use std::borrow::Cow;
use std::cmp::Ordering;

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};
use crate::value::Value;
use crate::DataType;

/// The most dimensions an array may have (PostgreSQL's `MAXDIM`).
pub const MAX_DIMS: usize = 6;

/// One dimension of an array: its lower bound and its length (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArrayDim {
    /// The first valid subscript.
    pub lower: i32,
    /// How many subscripts the dimension has.
    pub len: i32,
}

impl ArrayDim {
    /// The last valid subscript.
    pub fn upper(self) -> i32 {
        self.lower.saturating_add(self.len).saturating_sub(1)
    }
}

/// An array value with its element type.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The type of every element.
    pub element_type: DataType,
    /// The elements in row-major order; `Value::Null` for NULL elements.
    pub elements: Vec<Value>,
    /// The shape; `None` for one dimension with lower bound 1 (or an empty array).
    /// Never `Some` of that default shape (see [`Array::with_dims`]).
    pub dims: Option<Box<[ArrayDim]>>,
}

/// The error for more than [`MAX_DIMS`] dimensions.
pub fn too_many_dims(n: usize) -> TypeError {
    TypeError::other(
        SqlState::PROGRAM_LIMIT_EXCEEDED,
        format!("number of array dimensions ({n}) exceeds the maximum allowed ({MAX_DIMS})"),
    )
}

impl Array {
    /// A one-dimensional array with lower bound 1.
    pub const fn new(element_type: DataType, elements: Vec<Value>) -> Array {
        Array { element_type, elements, dims: None }
    }

    /// An array of the given shape. Dimensions of length 0 make an empty array; the
    /// default one-dimensional shape is stored as `None`.
    ///
    /// Errors when the shape does not hold exactly the elements given, has more than
    /// [`MAX_DIMS`] dimensions, or its upper bounds overflow.
    pub fn with_dims(
        element_type: DataType,
        elements: Vec<Value>,
        dims: &[ArrayDim],
    ) -> TypeResult<Array> {
        if dims.len() > MAX_DIMS {
            return Err(too_many_dims(dims.len()));
        }
        if dims.is_empty() || dims.iter().any(|d| d.len <= 0) {
            if !elements.is_empty() {
                return Err(shape_mismatch());
            }
            return Ok(Array::new(element_type, elements));
        }
        let mut count: usize = 1;
        for d in dims {
            if i64::from(d.lower) + i64::from(d.len) - 1 > i64::from(i32::MAX) {
                return Err(TypeError::other(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "array upper bound is too large",
                ));
            }
            count = count.saturating_mul(d.len as usize);
        }
        if count != elements.len() {
            return Err(shape_mismatch());
        }
        let dims = (dims.len() > 1 || dims[0].lower != 1).then(|| dims.into());
        Ok(Array { element_type, elements, dims })
    }

    /// An array of this one's shape holding `elements` (as many as this one has) of
    /// type `element_type`.
    pub fn reshaped(&self, element_type: DataType, elements: Vec<Value>) -> Array {
        debug_assert_eq!(elements.len(), self.elements.len());
        Array { element_type, elements, dims: self.dims.clone() }
    }

    /// The number of dimensions (0 for an empty array).
    pub fn ndims(&self) -> usize {
        match &self.dims {
            Some(d) => d.len(),
            None => usize::from(!self.elements.is_empty()),
        }
    }

    /// The dimensions (none for an empty array).
    pub fn dims(&self) -> Cow<'_, [ArrayDim]> {
        match &self.dims {
            Some(d) => Cow::Borrowed(d),
            None if self.elements.is_empty() => Cow::Borrowed(&[]),
            None => Cow::Owned(vec![ArrayDim {
                lower: 1,
                len: i32::try_from(self.elements.len()).unwrap_or(i32::MAX),
            }]),
        }
    }

    /// `array_dims` text: `[1:2][0:3]`; `None` for an empty array.
    pub fn dims_text(&self) -> Option<String> {
        let dims = self.dims();
        if dims.is_empty() {
            return None;
        }
        Some(dims.iter().map(|d| format!("[{}:{}]", d.lower, d.upper())).collect())
    }

    /// The flat position of the element at `subscripts` (one per dimension); `None`
    /// when the count of subscripts is wrong or one is out of range.
    pub fn offset_of(&self, subscripts: &[i32]) -> Option<usize> {
        let dims = self.dims();
        if subscripts.len() != dims.len() {
            return None;
        }
        let mut at = 0usize;
        for (d, &s) in dims.iter().zip(subscripts) {
            let i = i64::from(s) - i64::from(d.lower);
            if i < 0 || i >= i64::from(d.len) {
                return None;
            }
            at = at * d.len as usize + i as usize;
        }
        Some(at)
    }

    /// PostgreSQL's order of two arrays: element by element (a NULL element after any
    /// value), then the number of dimensions, the lengths and the lower bounds. `None`
    /// when two elements do not compare.
    pub fn compare(&self, other: &Array) -> Option<Ordering> {
        for (x, y) in self.elements.iter().zip(&other.elements) {
            let o = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.pg_cmp(y)?,
            };
            if o.is_ne() {
                return Some(o);
            }
        }
        if self.dims.is_none() && other.dims.is_none() {
            return Some(self.elements.len().cmp(&other.elements.len()));
        }
        let (a, b) = (self.dims(), other.dims());
        Some(
            a.len()
                .cmp(&b.len())
                .then_with(|| a.iter().map(|d| d.len).cmp(b.iter().map(|d| d.len)))
                .then_with(|| a.iter().map(|d| d.lower).cmp(b.iter().map(|d| d.lower))),
        )
    }
}

fn shape_mismatch() -> TypeError {
    TypeError::other(SqlState::ARRAY_SUBSCRIPT_ERROR, "array dimensions do not match its elements")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(n: i32) -> Vec<Value> {
        (1..=n).map(Value::Int4).collect()
    }

    #[test]
    fn default_shape_is_not_stored() {
        let a =
            Array::with_dims(DataType::Int4, ints(3), &[ArrayDim { lower: 1, len: 3 }]).unwrap();
        assert_eq!(a, Array::new(DataType::Int4, ints(3)));
        assert_eq!(a.ndims(), 1);
        assert_eq!(a.dims_text().as_deref(), Some("[1:3]"));
        let e = Array::new(DataType::Int4, vec![]);
        assert_eq!(e.ndims(), 0);
        assert_eq!(e.dims_text(), None);
    }

    #[test]
    fn offsets_are_row_major() {
        let d = [ArrayDim { lower: 0, len: 2 }, ArrayDim { lower: 1, len: 3 }];
        let a = Array::with_dims(DataType::Int4, ints(6), &d).unwrap();
        assert_eq!(a.offset_of(&[0, 1]), Some(0));
        assert_eq!(a.offset_of(&[1, 2]), Some(4));
        assert_eq!(a.offset_of(&[2, 1]), None);
        assert_eq!(a.offset_of(&[1]), None);
        assert_eq!(a.dims_text().as_deref(), Some("[0:1][1:3]"));
        assert!(Array::with_dims(DataType::Int4, ints(5), &d).is_err());
    }

    #[test]
    fn compares_elements_then_shape() {
        let flat = Array::new(DataType::Int4, ints(4));
        let d = [ArrayDim { lower: 1, len: 2 }, ArrayDim { lower: 1, len: 2 }];
        let square = Array::with_dims(DataType::Int4, ints(4), &d).unwrap();
        assert_eq!(flat.compare(&square), Some(Ordering::Less));
        let shifted =
            Array::with_dims(DataType::Int4, ints(4), &[ArrayDim { lower: 0, len: 4 }]).unwrap();
        assert_eq!(shifted.compare(&flat), Some(Ordering::Less));
        assert_ne!(shifted, flat);
    }
}
