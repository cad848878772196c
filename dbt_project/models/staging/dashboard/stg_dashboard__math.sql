{{ academic_staging('math') }}
