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

/// A slice bound pair as written: `[lower:upper]`, either side may be omitted.
pub type SliceBounds = (Option<i32>, Option<i32>);

/// The most elements an array may hold (PostgreSQL's `MaxArraySize`).
pub const MAX_ELEMENTS: i32 = 134_217_727;

fn too_large() -> TypeError {
    TypeError::other(
        SqlState::PROGRAM_LIMIT_EXCEEDED,
        format!("array size exceeds the maximum allowed ({MAX_ELEMENTS})"),
    )
}

fn subscript_error(message: &str) -> TypeError {
    TypeError::other(SqlState::ARRAY_SUBSCRIPT_ERROR, message.to_string())
}

/// Calls `f` with the flat offset (in an array of shape `dims`) of every position of the
/// box `lo..=hi` (one pair per dimension, inside `dims`), in row-major order.
fn for_each_in_box(dims: &[ArrayDim], lo: &[i32], hi: &[i32], mut f: impl FnMut(usize)) {
    let n = dims.len();
    if lo.iter().zip(hi).any(|(l, h)| l > h) {
        return;
    }
    let mut at: Vec<i32> = lo.to_vec();
    loop {
        let mut offset = 0usize;
        for (d, &s) in dims.iter().zip(&at) {
            offset = offset * d.len as usize + (i64::from(s) - i64::from(d.lower)) as usize;
        }
        f(offset);
        // Advance the last subscript, carrying into earlier ones.
        let mut k = n;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            if at[k] < hi[k] {
                at[k] += 1;
                break;
            }
            at[k] = lo[k];
        }
    }
}

impl Array {
    /// The element at `subscripts` (one per dimension); `None` when out of range or the
    /// count of subscripts does not match the array's dimensions (SQL gives NULL).
    pub fn get(&self, subscripts: &[i32]) -> Option<&Value> {
        self.offset_of(subscripts).and_then(|i| self.elements.get(i))
    }

    /// `a[l1:u1][l2:u2]...`: bounds beyond the array are clipped; dimensions without a
    /// bound pair are taken whole; an empty box, or more pairs than dimensions, gives an
    /// empty array. The result's lower bounds are 1, as in PostgreSQL.
    pub fn slice(&self, bounds: &[SliceBounds]) -> Array {
        let dims = self.dims();
        let empty = || Array::new(self.element_type.clone(), Vec::new());
        if dims.is_empty() || bounds.len() > dims.len() {
            return empty();
        }
        let mut lo = Vec::with_capacity(dims.len());
        let mut hi = Vec::with_capacity(dims.len());
        for (k, d) in dims.iter().enumerate() {
            let (l, h) = bounds.get(k).copied().unwrap_or((None, None));
            lo.push(l.unwrap_or(d.lower).max(d.lower));
            hi.push(h.unwrap_or(d.upper()).min(d.upper()));
        }
        if lo.iter().zip(&hi).any(|(l, h)| l > h) {
            return empty();
        }
        let mut elements = Vec::new();
        for_each_in_box(&dims, &lo, &hi, |i| elements.push(self.elements[i].clone()));
        let out: Vec<ArrayDim> =
            lo.iter().zip(&hi).map(|(l, h)| ArrayDim { lower: 1, len: h - l + 1 }).collect();
        Array::with_dims(self.element_type.clone(), elements, &out)
            .expect("a slice's shape holds its elements")
    }

    /// `ARRAY[a, b, ...]` of arrays and `array_agg` of arrays: the parts, which must share
    /// one shape, under a new leading dimension. Empty parts are allowed only when every
    /// part is empty (the result is then empty).
    pub fn stack(element_type: DataType, parts: &[&Array]) -> TypeResult<Array> {
        let mismatch = || {
            subscript_error(
                "multidimensional arrays must have array expressions with matching dimensions",
            )
        };
        let Some(first) = parts.first() else {
            return Ok(Array::new(element_type, Vec::new()));
        };
        let shape = first.dims();
        if shape.is_empty() {
            if parts.iter().any(|p| !p.elements.is_empty()) {
                return Err(mismatch());
            }
            return Ok(Array::new(element_type, Vec::new()));
        }
        if shape.len() + 1 > MAX_DIMS {
            return Err(too_many_dims(shape.len() + 1));
        }
        let mut elements = Vec::with_capacity(first.elements.len() * parts.len());
        for p in parts {
            if p.dims() != shape {
                return Err(mismatch());
            }
            elements.extend(p.elements.iter().cloned());
        }
        let len = i32::try_from(parts.len()).map_err(|_| {
            TypeError::other(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "array size exceeds the maximum allowed",
            )
        })?;
        let mut dims = vec![ArrayDim { lower: 1, len }];
        dims.extend(shape.iter().copied());
        Array::with_dims(element_type, elements, &dims)
    }

    /// `array_cat` (and `||` between arrays) with PostgreSQL's rules: an empty side gives
    /// the other; equal dimension counts join along the first dimension (the other
    /// dimensions must match); an N-1-dimensional side becomes one more row at that end.
    /// The lower bounds are those of the first array, or of the higher-dimensional one.
    pub fn concat(a: &Array, b: &Array) -> TypeResult<Array> {
        if b.elements.is_empty() {
            return Ok(a.clone());
        }
        if a.elements.is_empty() {
            return Ok(b.reshaped(a.element_type.clone(), b.elements.clone()));
        }
        let incompatible = |detail: String| {
            subscript_error("cannot concatenate incompatible arrays").with_detail(detail)
        };
        let (da, db) = (a.dims(), b.dims());
        let mut elements = Vec::with_capacity(a.elements.len() + b.elements.len());
        elements.extend(a.elements.iter().cloned());
        elements.extend(b.elements.iter().cloned());
        let dims: Vec<ArrayDim> = if da.len() == db.len() {
            if da[1..] != db[1..] {
                return Err(incompatible(
                    "Arrays with differing element dimensions are not compatible for \
                     concatenation."
                        .into(),
                ));
            }
            let mut d = da.to_vec();
            d[0].len = da[0].len.saturating_add(db[0].len);
            d
        } else if da.len() + 1 == db.len() {
            if da[..] != db[1..] {
                return Err(incompatible(
                    "Arrays with differing dimensions are not compatible for concatenation.".into(),
                ));
            }
            let mut d = db.to_vec();
            d[0].len = db[0].len.saturating_add(1);
            d
        } else if da.len() == db.len() + 1 {
            if da[1..] != db[..] {
                return Err(incompatible(
                    "Arrays with differing dimensions are not compatible for concatenation.".into(),
                ));
            }
            let mut d = da.to_vec();
            d[0].len = da[0].len.saturating_add(1);
            d
        } else {
            return Err(incompatible(format!(
                "Arrays of {} and {} dimensions are not compatible for concatenation.",
                da.len(),
                db.len()
            )));
        };
        Array::with_dims(a.element_type.clone(), elements, &dims)
    }

    /// `a[s1]...[sn] := value` as PostgreSQL's `array_set_element`: an empty (or NULL,
    /// `base` = `None`) array becomes a one-element array at those subscripts; a
    /// one-dimensional array grows at either end, filling with NULLs; otherwise the
    /// subscripts must lie inside the array.
    pub fn assign(
        base: Option<&Array>,
        element_type: DataType,
        subscripts: &[i32],
        value: Value,
    ) -> TypeResult<Array> {
        let empty = base.is_none_or(|b| b.elements.is_empty());
        if empty {
            let dims: Vec<ArrayDim> =
                subscripts.iter().map(|&lower| ArrayDim { lower, len: 1 }).collect();
            return Array::with_dims(element_type, vec![value], &dims);
        }
        let base = base.expect("checked non-empty");
        let dims = base.dims();
        if subscripts.len() != dims.len() {
            return Err(subscript_error("wrong number of array subscripts"));
        }
        if let Some(i) = base.offset_of(subscripts) {
            let mut out = base.clone();
            out.elements[i] = value;
            return Ok(out);
        }
        if dims.len() > 1 {
            return Err(subscript_error("array subscript out of range"));
        }
        let (d, s) = (dims[0], subscripts[0]);
        let (lower, upper) = (d.lower.min(s), d.upper().max(s));
        let len = usize::try_from(i64::from(upper) - i64::from(lower) + 1)
            .ok()
            .filter(|&n| n <= MAX_ELEMENTS as usize)
            .ok_or_else(too_large)?;
        let mut elements = vec![Value::Null; len];
        let shift = (i64::from(d.lower) - i64::from(lower)) as usize;
        for (k, e) in base.elements.iter().enumerate() {
            elements[shift + k] = e.clone();
        }
        elements[(i64::from(s) - i64::from(lower)) as usize] = value;
        Array::with_dims(
            base.element_type.clone(),
            elements,
            &[ArrayDim { lower, len: len as i32 }],
        )
    }

    /// `a[l1:u1]...[ln:un] := source` as PostgreSQL's `array_set_slice`: the slice takes
    /// the source's first elements in row-major order. An empty (or NULL) array becomes
    /// the slice (both bounds required); a one-dimensional array may grow, filling with
    /// NULLs; otherwise the slice must lie inside the array.
    pub fn assign_slice(
        base: Option<&Array>,
        element_type: DataType,
        bounds: &[SliceBounds],
        source: &Array,
    ) -> TypeResult<Array> {
        let too_small = || subscript_error("source array too small");
        let empty = base.is_none_or(|b| b.elements.is_empty());
        if empty {
            let mut dims = Vec::with_capacity(bounds.len());
            for &(l, h) in bounds {
                let (Some(l), Some(h)) = (l, h) else {
                    return Err(subscript_error(
                        "array slice subscript must provide both boundaries",
                    )
                    .with_detail(
                        "When assigning to a slice of an empty array value, slice boundaries \
                         must be fully specified.",
                    ));
                };
                if h < l {
                    return Err(subscript_error("upper bound cannot be less than lower bound"));
                }
                let len = i32::try_from(i64::from(h) - i64::from(l) + 1)
                    .ok()
                    .filter(|&n| n <= MAX_ELEMENTS)
                    .ok_or_else(too_large)?;
                dims.push(ArrayDim { lower: l, len });
            }
            let n = dims.iter().fold(1usize, |n, d| n.saturating_mul(d.len as usize));
            if n > MAX_ELEMENTS as usize {
                return Err(too_large());
            }
            if source.elements.len() < n {
                return Err(too_small());
            }
            return Array::with_dims(element_type, source.elements[..n].to_vec(), &dims);
        }
        let base = base.expect("checked non-empty");
        let dims = base.dims();
        if bounds.len() > dims.len() {
            return Err(subscript_error("wrong number of array subscripts"));
        }
        let mut lo = Vec::with_capacity(dims.len());
        let mut hi = Vec::with_capacity(dims.len());
        for (k, d) in dims.iter().enumerate() {
            let (l, h) = bounds.get(k).copied().unwrap_or((None, None));
            let (l, h) = (l.unwrap_or(d.lower), h.unwrap_or(d.upper()));
            if h < l {
                return Err(subscript_error("upper bound cannot be less than lower bound"));
            }
            lo.push(l);
            hi.push(h);
        }
        // One dimension may grow first; then every position of the slice is inside.
        let mut target = if dims.len() == 1 && (lo[0] < dims[0].lower || hi[0] > dims[0].upper()) {
            let mut grown = base.clone();
            let (l, h) = (lo[0].min(dims[0].lower), hi[0].max(dims[0].upper()));
            grown = Array::assign(Some(&grown), base.element_type.clone(), &[l], Value::Null)?;
            if h != l {
                grown = Array::assign(Some(&grown), base.element_type.clone(), &[h], Value::Null)?;
            }
            // The two end writes may have replaced real elements: put them back.
            let shift = (i64::from(dims[0].lower) - i64::from(l)) as usize;
            for (k, e) in base.elements.iter().enumerate() {
                grown.elements[shift + k] = e.clone();
            }
            grown
        } else {
            if lo.iter().zip(&hi).zip(dims.iter()).any(|((l, h), d)| *l < d.lower || *h > d.upper())
            {
                return Err(subscript_error("array subscript out of range"));
            }
            base.clone()
        };
        let tdims = target.dims().into_owned();
        let mut src = source.elements.iter();
        let mut short = false;
        for_each_in_box(&tdims, &lo, &hi, |i| match src.next() {
            Some(v) => target.elements[i] = v.clone(),
            None => short = true,
        });
        if short {
            return Err(too_small());
        }
        Ok(target)
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

    fn shaped(elements: Vec<Value>, dims: &[(i32, i32)]) -> Array {
        let dims: Vec<ArrayDim> =
            dims.iter().map(|&(lower, len)| ArrayDim { lower, len }).collect();
        Array::with_dims(DataType::Int4, elements, &dims).unwrap()
    }

    #[test]
    fn slices_clip_and_rebase() {
        let a = shaped(ints(6), &[(1, 2), (1, 3)]);
        let s = a.slice(&[(Some(2), Some(5)), (None, Some(2))]);
        assert_eq!(s, shaped(vec![Value::Int4(4), Value::Int4(5)], &[(1, 1), (1, 2)]));
        assert!(a.slice(&[(Some(3), None)]).elements.is_empty());
        assert_eq!(a.slice(&[(Some(2), Some(2))]).elements, ints(6)[3..].to_vec());
        assert_eq!(a.get(&[2, 3]), Some(&Value::Int4(6)));
    }

    #[test]
    fn stacks_and_concatenates() {
        let row = Array::new(DataType::Int4, ints(2));
        let m = Array::stack(DataType::Int4, &[&row, &row]).unwrap();
        assert_eq!(m.dims_text().as_deref(), Some("[1:2][1:2]"));
        let short = Array::new(DataType::Int4, ints(1));
        assert!(Array::stack(DataType::Int4, &[&row, &short]).is_err());
        let m3 = Array::concat(&m, &row).unwrap();
        assert_eq!(m3.dims_text().as_deref(), Some("[1:3][1:2]"));
        assert!(Array::concat(&m, &short).is_err());
        let shifted = shaped(ints(2), &[(0, 2)]);
        assert_eq!(Array::concat(&shifted, &short).unwrap().dims_text().as_deref(), Some("[0:2]"));
    }

    #[test]
    fn assignment_grows_one_dimension() {
        let a = Array::new(DataType::Int4, ints(2));
        let b = Array::assign(Some(&a), DataType::Int4, &[5], Value::Int4(9)).unwrap();
        assert_eq!(
            b.elements,
            vec![Value::Int4(1), Value::Int4(2), Value::Null, Value::Null, Value::Int4(9)]
        );
        let c = Array::assign(Some(&a), DataType::Int4, &[-1], Value::Int4(0)).unwrap();
        assert_eq!(c.dims_text().as_deref(), Some("[-1:2]"));
        let e = Array::assign(None, DataType::Int4, &[2, 3], Value::Int4(1)).unwrap();
        assert_eq!(e.dims_text().as_deref(), Some("[2:2][3:3]"));
        let m = shaped(ints(4), &[(1, 2), (1, 2)]);
        assert!(Array::assign(Some(&m), DataType::Int4, &[3, 1], Value::Int4(0)).is_err());
        let src = Array::new(DataType::Int4, vec![Value::Int4(7), Value::Int4(8)]);
        let s = Array::assign_slice(
            Some(&m),
            DataType::Int4,
            &[(None, None), (Some(2), Some(2))],
            &src,
        )
        .unwrap();
        assert_eq!(
            s.elements,
            vec![Value::Int4(1), Value::Int4(7), Value::Int4(3), Value::Int4(8)]
        );
        let g = Array::assign_slice(Some(&a), DataType::Int4, &[(Some(4), Some(5))], &src).unwrap();
        assert_eq!(
            g.elements,
            vec![Value::Int4(1), Value::Int4(2), Value::Null, Value::Int4(7), Value::Int4(8)]
        );
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
